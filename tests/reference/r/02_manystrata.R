# (b) many strata with two PSUs each (simulated data/manystrata.csv)
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE, survey.replicates.mse = FALSE)

entries <- list()
add <- function(id, call, notes = NULL) {
  entries[[length(entries) + 1]] <<- make_entry(id, DATA_MS, DMS, call, notes)
}

add("dms.degf", "degf(dms)", "40 strata x 2 PSUs: 80 - 40 = 40")
add("dms.mean.y", "svymean(~y, dms, deff=TRUE)")
add("dms.mean.y_x", "svymean(~y+x, dms, deff=TRUE)")
add("dms.mean.y.deffreplace", "svymean(~y, dms, deff='replace')")
add("dms.mean.z.narm", "svymean(~z, dms, na.rm=TRUE, deff=TRUE)", "z has missing values")
add("dms.total.y", "svytotal(~y, dms, deff=TRUE)")
add("dms.total.y_cnt", "svytotal(~y+cnt, dms, deff=TRUE)")
add("dms.total.z.narm", "svytotal(~z, dms, na.rm=TRUE)")
add("dms.mean.grp", "svymean(~grp, dms, deff=TRUE)", "factor proportions")
add("dms.total.grp", "svytotal(~grp, dms, deff=TRUE)")
add("dms.mean.grp_dom", "svymean(~grp+dom, dms)")
add("dms.mean.bin", "svymean(~bin, dms, deff=TRUE)")
add("dms.var.y", "svyvar(~y, dms)")
add("dms.var.y_x", "svyvar(~y+x, dms)")
add("dms.ratio.y_x", "svyratio(~y, ~x, dms)")
add("dms.ratio.y_cnt__x", "svyratio(~y+cnt, ~x, dms)")
add("dms.by.grp.mean.y", "svyby(~y, ~grp, dms, svymean, deff=TRUE)")
add("dms.by.dom.mean.y_x", "svyby(~y+x, ~dom, dms, svymean, deff=TRUE)")
add("dms.by.grp_dom.mean.y", "svyby(~y, ~grp+dom, dms, svymean)")
add("dms.by.dom.total.y", "svyby(~y, ~dom, dms, svytotal, deff=TRUE)")
add("dms.by.dom.mean.grp", "svyby(~grp, ~dom, dms, svymean)")
add("dms.by.dom.mean.z.narm", "svyby(~z, ~dom, dms, svymean, na.rm=TRUE)")
add("dms.by.dom.ratio.y_x", "svyby(~y, ~dom, denominator=~x, design=dms, FUN=svyratio)")
add("dms.by.grp.mean.y.covmat", "svyby(~y, ~grp, dms, svymean, covmat=TRUE)")
add("dms.subset.urban.mean.y", "svymean(~y, subset(dms, dom=='urban'), deff=TRUE)")
add("dms.subset.urban.total.y", "svytotal(~y, subset(dms, dom=='urban'))")
add("dms.subset.urban.degf", "degf(subset(dms, dom=='urban'))")

# proportions with confidence intervals
for (m in eval(formals(svyciprop)$method)) {
  add(paste0("dms.ciprop.bin.", m), sprintf("svyciprop(~bin, dms, method='%s')", m),
      "df = degf(dms) (default)")
  add(paste0("dms.ciprop.grp_c.", m), sprintf("svyciprop(~I(grp=='c'), dms, method='%s')", m))
}
for (m in c("logit", "likelihood", "beta")) {
  add(paste0("dms.ciprop.bin.", m, ".level90"), sprintf("svyciprop(~bin, dms, method='%s', level=0.9)", m))
  add(paste0("dms.ciprop.bin.", m, ".dfInf"), sprintf("svyciprop(~bin, dms, method='%s', df=Inf)", m))
  add(paste0("dms.ciprop.bin.", m, ".subset_urban"), sprintf("svyciprop(~bin, subset(dms, dom=='urban'), method='%s')", m))
}

# quantiles: every qrule x interval type
qrules <- eval(formals(survey:::svyquantile.survey.design)$qrule)
itypes <- eval(formals(survey:::svyquantile.survey.design)$interval.type)
for (v in c("y", "q")) {
  for (qr in qrules) {
    for (it in c("mean", "beta")) {
      add(paste("dms.quantile", v, qr, it, sep = "."),
          sprintf("svyquantile(~%s, dms, quantiles=c(0.1,0.25,0.5,0.75,0.9), ci=TRUE, se=TRUE, qrule='%s', interval.type='%s')", v, qr, it),
          if (v == "q") "q is integer-valued with many ties" else NULL)
    }
  }
  for (it in setdiff(itypes, c("mean", "beta"))) {
    for (qr in c("math", "school", "hf7")) {
      add(paste("dms.quantile", v, qr, it, sep = "."),
          sprintf("svyquantile(~%s, dms, quantiles=c(0.1,0.25,0.5,0.75,0.9), ci=TRUE, se=TRUE, qrule='%s', interval.type='%s')", v, qr, it))
    }
  }
}
add("dms.quantile.y.math.mean.dfInf", "svyquantile(~y, dms, quantiles=c(0.25,0.5,0.75), ci=TRUE, se=TRUE, qrule='math', interval.type='mean', df=Inf)")
add("dms.quantile.y.school.mean.alpha10", "svyquantile(~y, dms, quantiles=c(0.25,0.5,0.75), alpha=0.1, ci=TRUE, se=TRUE, qrule='school', interval.type='mean')")
add("dms.quantile.z.hf7.mean.narm", "svyquantile(~z, dms, quantiles=c(0.25,0.5,0.75), ci=TRUE, se=TRUE, qrule='hf7', na.rm=TRUE)")
add("dms.quantile.y_x.math.mean", "svyquantile(~y+x, dms, quantiles=c(0.5), ci=TRUE, se=TRUE, qrule='math')")
add("dms.by.dom.quantile.y.math", "svyby(~y, ~dom, dms, svyquantile, quantiles=c(0.25,0.5,0.75), ci=TRUE, qrule='math')",
    "svyby with svyquantile")

out <- file_header("Many strata (40) with two PSUs each: golden values from R survey",
                   "tests/reference/r/02_manystrata.R",
                   designs = list(dms = DMS),
                   options = list(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
                                  survey.replicates.mse = FALSE),
                   data_note = paste("data/manystrata.csv simulated in R (set.seed(20240611), see 00_data.R);",
                                     "read with ms <- read.csv('tests/reference/data/manystrata.csv'); ms$grp <- factor(ms$grp); ms$dom <- factor(ms$dom)"),
                   degf = degf(dms),
                   entries = entries)
write_json_file(out, file.path(GOLDEN_DIR, "extra_manystrata.json"))
