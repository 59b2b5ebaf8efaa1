# (a) two-stage cluster designs on apiclus2
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE, survey.replicates.mse = FALSE)

designs <- list(
  dclus2 = "dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)",
  dclus2_wr = "dclus2_wr <- svydesign(id=~dnum+snum, weights=~pw, data=apiclus2)",
  dclus2_frac = "dclus2_frac <- svydesign(id=~dnum+snum, fpc=~frac1+frac2, data=apiclus2)",
  dclus2_pwfpc = "dclus2_pwfpc <- svydesign(id=~dnum+snum, weights=~pw, fpc=~fpc1+fpc2, data=apiclus2)",
  dclus2_1st = "dclus2_1st <- svydesign(id=~dnum, weights=~pw, data=apiclus2)"
)
design_notes <- list(
  dclus2 = "two-stage cluster sample, fpc given as population counts at each stage (districts, schools within district)",
  dclus2_wr = "same sample, weights only, no fpc: with-replacement (ultimate cluster) variance, second stage ignored",
  dclus2_frac = "fpc given as sampling FRACTIONS: frac1 = 40/fpc1, frac2 = n2/fpc2 (n2 = schools sampled in district); must equal dclus2",
  dclus2_pwfpc = "weights=~pw together with fpc=~fpc1+fpc2",
  dclus2_1st = "one-stage (ultimate cluster) approximation: id=~dnum, weights=~pw, no fpc"
)
for (d in names(designs)) eval(parse(text = designs[[d]]), envir = globalenv())

calls <- list(
  mean.api00 = "svymean(~api00, %s, deff=TRUE)",
  mean.api00_api99 = "svymean(~api00+api99, %s, deff=TRUE)",
  mean.enroll = "svymean(~enroll, %s, deff=TRUE, na.rm=TRUE)",
  total.api00 = "svytotal(~api00, %s, deff=TRUE)",
  total.enroll = "svytotal(~enroll, %s, deff=TRUE, na.rm=TRUE)",
  mean.stype = "svymean(~stype, %s, deff=TRUE)",
  total.stype = "svytotal(~stype, %s, deff=TRUE)",
  by.stype.mean.api00 = "svyby(~api00, ~stype, %s, svymean, deff=TRUE)",
  by.stype.total.enroll = "svyby(~enroll, ~stype, %s, svytotal, na.rm=TRUE)",
  by.stype.mean.api00_api99.covmat = "svyby(~api00+api99, ~stype, %s, svymean, covmat=TRUE)",
  subset.H.mean.api00 = "svymean(~api00, subset(%s, stype=='H'), deff=TRUE)",
  subset.H.total.enroll = "svytotal(~enroll, subset(%s, stype=='H'), na.rm=TRUE)",
  ratio.api.stu_enroll = "svyratio(~api.stu, ~enroll, %s, na.rm=TRUE)",
  var.api00 = "svyvar(~api00, %s)",
  var.api00_api99 = "svyvar(~api00+api99, %s)",
  ciprop.sch.wide.logit = "svyciprop(~I(sch.wide=='Yes'), %s, method='logit')",
  quantile.api00.math = "svyquantile(~api00, %s, quantiles=c(0.25,0.5,0.75), ci=TRUE, se=TRUE, qrule='math', interval.type='mean')",
  degf = "degf(%s)"
)
call_notes <- list(
  by.stype.mean.api00_api99.covmat = "covmat=TRUE: full covariance of all domain estimates in 'vcov'",
  subset.H.mean.api00 = "domain via subset(): design information of the full sample is kept",
  var.api00 = "design-based estimate of the population variance",
  quantile.api00.math = "columns quantile, ci.2.5, ci.97.5, se; interval.type='mean' = Woodruff; CI uses df = degf(design)",
  degf = "design degrees of freedom (#PSU - #strata)"
)

entries <- list()
for (d in names(designs)) {
  for (cn in names(calls)) {
    if (d %in% c("dclus2_pwfpc", "dclus2_1st") && !(cn %in% c("mean.api00", "total.enroll", "by.stype.mean.api00", "ratio.api.stu_enroll", "degf"))) next
    call <- sprintf(calls[[cn]], d)
    note <- paste(c(design_notes[[d]], call_notes[[cn]]), collapse = "; ")
    entries[[length(entries) + 1]] <- make_entry(paste(d, cn, sep = "."), "data/apiclus2.csv",
                                                 designs[[d]], call, note)
  }
}

out <- file_header("Two-stage cluster designs (fpc at each stage) on apiclus2: golden values from R survey",
                   "tests/reference/r/01_twostage.R",
                   designs = designs,
                   options = list(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
                                  survey.replicates.mse = FALSE),
                   data_note = "data/apiclus2.csv = survey::apiclus2 plus columns n2 (schools sampled in district), frac1 = 40/fpc1, frac2 = n2/fpc2",
                   entries = entries)
write_json_file(out, file.path(GOLDEN_DIR, "extra_twostage.json"))
