# (c) lonely PSUs: stratified cluster design where stratum 4 has a single PSU (data/lonely.csv)
DATA_L <- "data/lonely.csv"
LD <- list(
  dlonely = "dlonely <- svydesign(id=~psu, strata=~str, weights=~wt, nest=TRUE, data=lonely)",
  dlonely_fpc = "dlonely_fpc <- svydesign(id=~psu, strata=~str, fpc=~Npsu, weights=~wt, nest=TRUE, data=lonely)",
  dnolonely = "dnolonely <- svydesign(id=~psu, strata=~str, weights=~wt, nest=TRUE, data=subset(lonely, str!=4))"
)
for (d in LD) eval(parse(text = d), envir = globalenv())

entries <- list()
add <- function(id, design, call, opts, notes = NULL, expect_error = FALSE) {
  entries[[length(entries) + 1]] <<- make_entry(id, DATA_L, LD[[design]], call, notes,
                                                expect_error = expect_error, options = opts)
}
base_opts <- list(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

for (d in c("dlonely", "dlonely_fpc")) {
  for (lp in c("fail", "adjust", "average", "remove", "certainty")) {
    o <- list(survey.lonely.psu = lp, survey.adjust.domain.lonely = FALSE)
    ee <- lp == "fail"
    nt <- if (ee) "expected R error: stratum 4 has only one PSU" else NULL
    add(paste(d, lp, "mean.y", sep = "."), d, sprintf("svymean(~y, %s, deff=TRUE)", d), o, nt, ee)
    if (ee) next
    add(paste(d, lp, "total.y", sep = "."), d, sprintf("svytotal(~y, %s)", d), o)
    add(paste(d, lp, "mean.dom", sep = "."), d, sprintf("svymean(~dom, %s)", d), o)
    add(paste(d, lp, "by.dom.mean.y", sep = "."), d, sprintf("svyby(~y, ~dom, %s, svymean)", d), o)
    add(paste(d, lp, "subset.A.mean.y", sep = "."), d, sprintf("svymean(~y, subset(%s, dom=='A'))", d), o)
    add(paste(d, lp, "ratio.y_wt", sep = "."), d, sprintf("svyratio(~y, ~wt, %s)", d), o)
    add(paste(d, lp, "degf", sep = "."), d, sprintf("degf(%s)", d), o)
  }
}

# domain lonely PSUs: in stratum 2 only PSU 1 contains domain 'A' (no single-PSU stratum in dnolonely)
for (lp in c("fail", "adjust", "average", "remove", "certainty")) {
  for (adl in c(FALSE, TRUE)) {
    o <- list(survey.lonely.psu = lp, survey.adjust.domain.lonely = adl)
    tag <- paste0(lp, if (adl) ".adjdomain" else "")
    add(paste("dnolonely", tag, "subset.A.mean.y", sep = "."), "dnolonely",
        "svymean(~y, subset(dnolonely, dom=='A'))", o,
        "domain A appears in only one PSU of stratum 2 (domain lonely PSU)")
    add(paste("dnolonely", tag, "subset.A.total.y", sep = "."), "dnolonely",
        "svytotal(~y, subset(dnolonely, dom=='A'))", o)
    add(paste("dnolonely", tag, "by.dom.mean.y", sep = "."), "dnolonely",
        "svyby(~y, ~dom, dnolonely, svymean)", o)
  }
  # also the full design (one real lonely stratum AND the domain lonely PSU)
  if (lp != "fail") {
    o <- list(survey.lonely.psu = lp, survey.adjust.domain.lonely = TRUE)
    add(paste("dlonely", lp, "adjdomain.subset.A.mean.y", sep = "."), "dlonely",
        "svymean(~y, subset(dlonely, dom=='A'))", o)
    add(paste("dlonely", lp, "adjdomain.by.dom.mean.y", sep = "."), "dlonely",
        "svyby(~y, ~dom, dlonely, svymean)", o)
  }
}

out <- file_header("Lonely PSU handling (options survey.lonely.psu / survey.adjust.domain.lonely): golden values from R survey",
                   "tests/reference/r/03_lonely.R",
                   designs = LD,
                   data_note = paste("data/lonely.csv simulated in R (set.seed(20240612), see 00_data.R): 6 strata with 3,2,4,1,3,2 PSUs;",
                                     "Npsu = population number of PSUs in the stratum; read with lonely <- read.csv(...); lonely$dom <- factor(lonely$dom)"),
                   options_note = "each entry lists the options in force for its call in 'options'; survey.replicates.mse = FALSE",
                   entries = entries)
write_json_file(out, file.path(GOLDEN_DIR, "extra_lonely.json"))
