# (e) design-based tests and survey-weighted GLMs, on Taylor-linearization and replicate designs.
# Uses the designs created in 04_replicate.R (rclus1_jk1, rms_brr, rms_jkn, rstrat_jkn).
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE, survey.replicates.mse = FALSE)

DES <- list(
  dclus1 = list(data = "data/apiclus1.csv", code = BASE$dclus1),
  dclus2 = list(data = "data/apiclus2.csv", code = BASE$dclus2),
  dstrat = list(data = "data/apistrat.csv", code = BASE$dstrat),
  dms = list(data = "data/manystrata.csv", code = DMS),
  rclus1_jk1 = list(data = "data/apiclus1.csv", code = paste(BASE$dclus1, REP$rclus1_jk1$call, sep = "; ")),
  rstrat_jkn = list(data = "data/apistrat.csv", code = paste(BASE$dstrat, REP$rstrat_jkn$call, sep = "; ")),
  rms_brr = list(data = "data/manystrata.csv", code = paste(DMS, REP$rms_brr$call, sep = "; ")),
  rms_jkn = list(data = "data/manystrata.csv", code = paste(DMS, REP$rms_jkn$call, sep = "; "))
)
is_api <- function(d) !(d %in% c("dms", "rms_brr", "rms_jkn"))
is_rep <- function(d) substr(d, 1, 1) == "r"

entries <- list()
add <- function(id, d, call, notes = NULL) {
  entries[[length(entries) + 1]] <<- make_entry(id, DES[[d]]$data, DES[[d]]$code, call, notes)
}

# ---- t tests ----------------------------------------------------------------------------
for (d in names(DES)) {
  if (is_api(d)) {
    add(paste0("ttest.", d, ".api00~sch.wide"), d, sprintf("svyttest(api00~sch.wide, %s)", d))
    add(paste0("ttest.", d, ".onesample.api00-600"), d, sprintf("svyttest(I(api00-600)~0, %s)", d),
        "one-sample t test of mean(api00) = 600")
  } else {
    add(paste0("ttest.", d, ".y~dom"), d, sprintf("svyttest(y~dom, %s)", d))
    add(paste0("ttest.", d, ".onesample.y-65"), d, sprintf("svyttest(I(y-65)~0, %s)", d))
  }
}

# ---- chi-squared tests ---------------------------------------------------------------------
stats <- eval(formals(survey:::svychisq.survey.design)$statistic)
chisq_tables <- list(dclus1 = "~sch.wide+stype", dclus2 = "~sch.wide+stype", dstrat = "~comp.imp+stype",
                     dms = c("~grp+dom", "~grp+bin"), rclus1_jk1 = "~sch.wide+stype", rms_brr = "~grp+dom")
for (d in names(chisq_tables)) {
  for (tb in chisq_tables[[d]]) {
    tag <- gsub("[~ ]", "", sub("\\+", "_", tb))
    for (st in stats) {
      add(paste("chisq", d, tag, st, sep = "."), d, sprintf("svychisq(%s, %s, statistic='%s')", tb, d, st),
          if (st == "lincom") "R package CompQuadForm was NOT installed (not packaged for this Debian): survey falls back to the saddlepoint approximation, so 'lincom' p-values equal 'saddlepoint'" else NULL)
    }
  }
}

# ---- GLMs and regTermTest ------------------------------------------------------------------
glm_api <- list(
  gaussian = list(f = "api00~ell+meals+mobility", fam = NULL, terms = c("~ell+meals", "~mobility")),
  gaussian_stype = list(f = "api00~stype+meals", fam = NULL, terms = c("~stype")),
  quasibinomial = list(f = "I(sch.wide=='Yes')~ell+meals", fam = "quasibinomial()", terms = c("~meals", "~ell+meals")),
  binomial = list(f = "I(sch.wide=='Yes')~ell+meals", fam = "binomial()", terms = c("~meals", "~ell+meals")),
  binomial_stype = list(f = "I(sch.wide=='Yes')~stype+meals", fam = "binomial()", terms = c("~stype")),
  quasipoisson = list(f = "api.stu~ell+meals", fam = "quasipoisson()", terms = c("~ell")),
  poisson = list(f = "api.stu~ell+meals", fam = "poisson()", terms = c("~ell"))
)
glm_ms <- list(
  gaussian = list(f = "y~x+grp", fam = NULL, terms = c("~grp", "~x")),
  quasibinomial = list(f = "bin~x+dom", fam = "quasibinomial()", terms = c("~dom", "~x+dom")),
  binomial = list(f = "bin~x+dom", fam = "binomial()", terms = c("~dom", "~x+dom")),
  binomial_grp = list(f = "bin~x+grp", fam = "binomial()", terms = c("~grp")),
  quasipoisson = list(f = "cnt~x+grp", fam = "quasipoisson()", terms = c("~grp")),
  poisson = list(f = "cnt~x+grp", fam = "poisson()", terms = c("~grp", "~x"))
)
for (d in names(DES)) {
  G <- if (is_api(d)) glm_api else glm_ms
  for (gn in names(G)) {
    g <- G[[gn]]
    mcall <- if (is.null(g$fam)) sprintf("svyglm(%s, design=%s)", g$f, d) else
      sprintf("svyglm(%s, design=%s, family=%s)", g$f, d, g$fam)
    add(paste("glm", d, gn, g$f, sep = "."), d, mcall,
        if (grepl("^binomial", gn)) "binomial with design weights: R warns about non-integer #successes; estimates equal quasibinomial, dispersion fixed at 1" else NULL)
    for (tt in g$terms) {
      tl <- gsub("[~ ]", "", tt)
      add(paste("regTermTest", d, gn, tl, "F", sep = "."), d, sprintf("regTermTest(%s, %s)", mcall, tt),
          "Wald test, F form: df = NULL -> denominator df = model df.residual")
      add(paste("regTermTest", d, gn, tl, "Chisq", sep = "."), d, sprintf("regTermTest(%s, %s, df=Inf)", mcall, tt),
          "Wald test, chi-squared form (df=Inf)")
      if (!is.null(g$fam) && !is_rep(d)) {
        add(paste("regTermTest", d, gn, tl, "LRT", sep = "."), d,
            sprintf("regTermTest(%s, %s, method='LRT')", mcall, tt),
            "Rao-Scott working likelihood ratio test; p-value from linear combination of F/chisq (saddlepoint)")
        add(paste("regTermTest", d, gn, tl, "WorkingWald", sep = "."), d,
            sprintf("regTermTest(%s, %s, method='WorkingWald')", mcall, tt))
      }
    }
  }
}

out <- file_header("Design-based tests (svyttest, svychisq) and svyglm / regTermTest: golden values from R survey",
                   "tests/reference/r/05_tests_models.R",
                   designs = lapply(DES, function(z) z$code),
                   options = list(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
                                  survey.replicates.mse = FALSE),
                   replicate_weights_note = "replicate designs: weights in data/repweights/<id>.csv (see extra_replicate.json)",
                   entries = entries)
write_json_file(out, file.path(GOLDEN_DIR, "extra_tests_models.json"))
