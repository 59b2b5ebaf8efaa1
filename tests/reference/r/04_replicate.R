# (d) replicate-weight designs: JK1, JKn, BRR, Fay, bootstrap, subbootstrap, and svrepdesign()
# from supplied replicate-weight columns.  Replicate weights are exported so that results can be
# reproduced without R (and without R's random numbers).
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE, survey.replicates.mse = FALSE)

BASE <- list(
  dclus1 = "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)",
  dclus2 = "dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)",
  dstrat = "dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)",
  dms = DMS
)
for (b in BASE) eval(parse(text = b), envir = globalenv())
DATA_OF <- c(dclus1 = "data/apiclus1.csv", dclus2 = "data/apiclus2.csv", dstrat = "data/apistrat.csv",
             dms = "data/manystrata.csv")

API_EST <- c(
  "svymean(~api00, %s)",
  "svymean(~api00+api99, %s)",
  "svytotal(~enroll, %s, na.rm=TRUE)",
  "svytotal(~api00+api99, %s)",
  "svymean(~stype, %s)",
  "svyvar(~api00, %s)",
  "svyby(~api00, ~stype, %s, svymean)",
  "svyby(~enroll, ~stype, %s, svytotal, na.rm=TRUE)",
  "svymean(~api00, subset(%s, stype=='H'))",
  "svyquantile(~api00, %s, quantiles=c(0.25,0.5,0.75), qrule='math', ci=TRUE, se=TRUE)",
  "svyratio(~api.stu, ~enroll, %s, na.rm=TRUE)",
  "svyciprop(~I(sch.wide=='Yes'), %s, method='logit')",
  "svyglm(api00~ell+meals, design=%s)",
  "degf(%s)"
)
MS_EST <- c(
  "svymean(~y+x, %s)",
  "svytotal(~y+cnt, %s)",
  "svymean(~grp, %s)",
  "svymean(~z, %s, na.rm=TRUE)",
  "svyvar(~y, %s)",
  "svyby(~y, ~dom, %s, svymean)",
  "svyby(~y, ~grp, %s, svytotal)",
  "svymean(~y, subset(%s, dom=='urban'))",
  "svyquantile(~y, %s, quantiles=c(0.25,0.5,0.75), qrule='math', ci=TRUE, se=TRUE)",
  "svyquantile(~q, %s, quantiles=c(0.25,0.5,0.75), qrule='school', ci=TRUE, se=TRUE)",
  "svyratio(~y, ~x, %s)",
  "svyciprop(~bin, %s, method='logit')",
  "svyglm(y~x+grp, design=%s)",
  "degf(%s)"
)
MSE_EST_API <- API_EST[c(2, 3, 7, 10, 11, 13)]
MSE_EST_MS <- MS_EST[c(1, 2, 6, 9, 11, 13)]

REP <- list(
  rclus1_jk1 = list(base = "dclus1", call = "rclus1_jk1 <- as.svrepdesign(dclus1, type='JK1')"),
  rclus2_jk1 = list(base = "dclus2", call = "rclus2_jk1 <- as.svrepdesign(dclus2, type='JK1')",
                    notes = "two-stage design: replicates delete first-stage PSUs (districts)"),
  rstrat_jkn = list(base = "dstrat", call = "rstrat_jkn <- as.svrepdesign(dstrat, type='JKn')",
                    notes = "stratified JKn with fpc (rscales include the finite population correction); multipliers only: analysis weights = pw * multiplier",
                    full = FALSE),
  rms_jkn = list(base = "dms", call = "rms_jkn <- as.svrepdesign(dms, type='JKn')",
                 notes = "80 replicates (delete one PSU per replicate, the other PSU of its stratum x 2); full-weight file omitted to save space: multipliers are 0/1/2 and wt is integer, so analysis weights = wt * multiplier exactly",
                 full = FALSE),
  rms_brr = list(base = "dms", call = "rms_brr <- as.svrepdesign(dms, type='BRR')",
                 notes = "BRR half-samples from a Hadamard matrix; 40 strata x 2 PSUs"),
  rms_fay = list(base = "dms", call = "rms_fay <- as.svrepdesign(dms, type='Fay', fay.rho=0.3)",
                 notes = "Fay's modified BRR, rho = 0.3 (multipliers 0.3 / 1.7)"),
  rstrat_boot = list(base = "dstrat", call = "set.seed(20240613); rstrat_boot <- as.svrepdesign(dstrat, type='bootstrap', replicates=50)",
                     notes = "Canty-Davison rescaled bootstrap within strata; reproduce from exported multipliers, not R's RNG"),
  rstrat_subboot = list(base = "dstrat", call = "set.seed(20240614); rstrat_subboot <- as.svrepdesign(dstrat, type='subbootstrap', replicates=50)",
                        notes = "subbootstrap (n_h - 1 PSUs resampled per stratum); reproduce from exported multipliers")
)

export_repweights <- function(id, d, full = TRUE) {
  mult <- weights(d, "replication")
  colnames(mult) <- paste0("rep", seq_len(ncol(mult)))
  pw <- weights(d, "sampling")
  f1 <- file.path("data", "repweights", paste0(id, ".csv"))
  write_exact_csv(data.frame(pw = pw, mult, check.names = FALSE), file.path(REF_DIR, f1))
  f2 <- NULL
  if (full) {
    an <- weights(d, "analysis")
    colnames(an) <- paste0("rep", seq_len(ncol(an)))
    f2 <- file.path("data", "repweights", paste0(id, "_full.csv"))
    write_exact_csv(data.frame(pw = pw, an, check.names = FALSE), file.path(REF_DIR, f2))
  }
  list(mult = f1, full = f2)
}

rep_record <- function(id, data, base_design, call, d, files, est_calls, notes = NULL, extra = list()) {
  c(list(id = id, data = data, base_design = base_design, call = call, notes = notes,
         type = d$type, replicates = ncol(weights(d, "replication")),
         scale = d$scale, rscales = I(as.numeric(d$rscales)), mse = isTRUE(d$mse),
         combined_weights = isTRUE(d$combined.weights),
         degf = degf(d),
         repweights_file = files$mult,
         repweights_file_format = "columns: pw = full-sample sampling weight (weights(d,'sampling')); rep1..repR = replication multipliers (weights(d,'replication')); analysis weight = pw * multiplier",
         fullweights_file = files$full,
         fullweights_file_format = if (is.null(files$full)) NULL else
           "columns: pw; rep1..repR = replicate analysis weights weights(d,'analysis') (= pw * multiplier)"),
    extra,
    list(estimates = lapply(sprintf(est_calls, id), make_est, label = id)))
}

records <- list()
for (id in names(REP)) {
  spec <- REP[[id]]
  eval(parse(text = spec$call), envir = globalenv())
  d <- get(id)
  files <- export_repweights(id, d, full = !identical(spec$full, FALSE))
  est <- if (spec$base == "dms") MS_EST else API_EST
  records[[length(records) + 1]] <- rep_record(id, DATA_OF[[spec$base]], BASE[[spec$base]], spec$call, d,
                                               files, est, spec$notes)
  # mse = TRUE variant (same replicate weights; random designs re-created with the same seed)
  idm <- paste0(id, "_mse")
  callm <- sub(paste0(id, " <- "), paste0(idm, " <- "), spec$call, fixed = TRUE)
  callm <- sub("\\)$", ", mse=TRUE)", callm)
  eval(parse(text = callm), envir = globalenv())
  dm <- get(idm)
  stopifnot(isTRUE(all.equal(weights(dm, "analysis"), weights(d, "analysis"), tolerance = 0)))
  records[[length(records) + 1]] <- rep_record(idm, DATA_OF[[spec$base]], BASE[[spec$base]], callm, dm,
                                               files, if (spec$base == "dms") MSE_EST_MS else MSE_EST_API,
                                               "mse=TRUE: deviations are taken about the full-sample estimate; replicate weights identical to the mse=FALSE design")
}

# ---- svrepdesign() from supplied replicate-weight columns ---------------------------------------
SUP <- list(
  rms_brr_supplied = list(
    data = "data/manystrata.csv", base = "dms",
    setup = "brr_full <- read.csv('tests/reference/data/repweights/rms_brr_full.csv')",
    call = "rms_brr_supplied <- svrepdesign(data=ms, repweights=brr_full[, -1], weights=~wt, type='BRR', combined.weights=TRUE)",
    file = "data/repweights/rms_brr_full.csv",
    notes = "replicate analysis weights supplied as columns (combined.weights=TRUE); should equal rms_brr"),
  rms_brr_supplied_mse = list(
    data = "data/manystrata.csv", base = "dms",
    setup = "brr_full <- read.csv('tests/reference/data/repweights/rms_brr_full.csv')",
    call = "rms_brr_supplied_mse <- svrepdesign(data=ms, repweights=brr_full[, -1], weights=~wt, type='BRR', combined.weights=TRUE, mse=TRUE)",
    file = "data/repweights/rms_brr_full.csv"),
  rms_jkn_supplied = list(
    data = "data/manystrata.csv", base = "dms",
    setup = "jkn_mult <- read.csv('tests/reference/data/repweights/rms_jkn.csv')",
    call = "rms_jkn_supplied <- svrepdesign(data=ms, repweights=jkn_mult[, -1], weights=~wt, type='JKn', scale=1, rscales=rep(0.5, 80), combined.weights=FALSE)",
    file = "data/repweights/rms_jkn.csv",
    notes = "replicate multipliers supplied (combined.weights=FALSE), JKn with explicit scale and rscales ((n_h-1)/n_h = 0.5); should equal rms_jkn"),
  rms_fay_supplied = list(
    data = "data/manystrata.csv", base = "dms",
    setup = "fay_full <- read.csv('tests/reference/data/repweights/rms_fay_full.csv')",
    call = "rms_fay_supplied <- svrepdesign(data=ms, repweights=fay_full[, -1], weights=~wt, type='Fay', rho=0.3, combined.weights=TRUE)",
    file = "data/repweights/rms_fay_full.csv"),
  rclus1_jk1_supplied = list(
    data = "data/apiclus1.csv", base = "dclus1",
    setup = "jk1_full <- read.csv('tests/reference/data/repweights/rclus1_jk1_full.csv')",
    call = "rclus1_jk1_supplied <- svrepdesign(data=apiclus1, repweights=jk1_full[, -1], weights=~pw, type='JK1', combined.weights=TRUE)",
    file = "data/repweights/rclus1_jk1_full.csv",
    notes = "JK1 with default scale (n-1)/n: no fpc, so SEs differ from rclus1_jk1 (which folds the fpc into scale)"),
  rstrat_boot_supplied = list(
    data = "data/apistrat.csv", base = "dstrat",
    setup = "boot_full <- read.csv('tests/reference/data/repweights/rstrat_boot_full.csv')",
    call = "rstrat_boot_supplied <- svrepdesign(data=apistrat, repweights=boot_full[, -1], weights=~pw, type='bootstrap', combined.weights=TRUE)",
    file = "data/repweights/rstrat_boot_full.csv",
    notes = "type='bootstrap' default scale 1/(R-1)"),
  rstrat_other_supplied = list(
    data = "data/apistrat.csv", base = "dstrat",
    setup = "boot_full <- read.csv('tests/reference/data/repweights/rstrat_boot_full.csv')",
    call = "rstrat_other_supplied <- svrepdesign(data=apistrat, repweights=boot_full[, -1], weights=~pw, type='other', scale=0.02, rscales=1, combined.weights=TRUE)",
    file = "data/repweights/rstrat_boot_full.csv",
    notes = "type='other' with user scale and rscales")
)
for (id in names(SUP)) {
  s <- SUP[[id]]
  eval(parse(text = s$setup), envir = globalenv())
  r <- tryCatch({ eval(parse(text = s$call), envir = globalenv()); NULL }, error = function(e) conditionMessage(e))
  if (!is.null(r)) { FAILURES <- c(FAILURES, paste(id, r)); next }
  d <- get(id)
  est <- if (s$base == "dms") MS_EST else API_EST
  if (grepl("_mse$", id)) est <- MSE_EST_MS
  rec <- rep_record(id, s$data, NULL, paste(s$setup, s$call, sep = "; "), d,
                    list(mult = NULL, full = NULL), est, s$notes,
                    extra = list(supplied_repweights_file = s$file,
                                 supplied_repweights_note = "the columns rep1..repR of this file (without pw) are passed as repweights"))
  records[[length(records) + 1]] <- rec
}

out <- file_header("Replicate-weight designs (JK1, JKn, BRR, Fay, bootstrap, subbootstrap, supplied): golden values from R survey",
                   "tests/reference/r/04_replicate.R",
                   base_designs = BASE,
                   variance_formula = "V = scale * sum_r rscales[r] * (theta_r - center)^2; center = full-sample estimate if mse else mean(theta_r)",
                   options = list(survey.lonely.psu = "fail", survey.replicates.mse = FALSE),
                   replicate_designs = records)
write_json_file(out, file.path(GOLDEN_DIR, "extra_replicate.json"))
