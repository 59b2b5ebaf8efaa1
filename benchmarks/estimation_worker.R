# One benchmark run of R's survey package on one task; driven by run_estimation.py.
#   Rscript benchmarks/estimation_worker.R TASK CSV OUT_JSON [N_REPLICATES]
# Reads the CSV with data.table::fread (load), then times svydesign/svrepdesign + the estimates
# (core). Missing values: each variable uses its own observed rows (na.rm=TRUE one variable at a
# time), which is citizensfirst's missing="available"; svymean(~a+b, na.rm=TRUE) would instead
# drop rows missing on any of them. Writes {"load_s", "core_s", "result", "info"} as JSON.
args <- commandArgs(trailingOnly = TRUE)
task <- args[1]; csv <- args[2]; out_path <- args[3]
nrep <- if (length(args) >= 4) as.integer(args[4]) else 0L
elapsed <- function() proc.time()[["elapsed"]]
t0 <- elapsed()
suppressMessages({library(survey); library(data.table); library(jsonlite)})
vars <- sprintf("q%02d", 1:10)
df <- fread(csv, showProgress = FALSE)
setDF(df)
t1 <- elapsed()

pair <- function(x) list(unname(coef(x))[1], unname(SE(x))[1])

if (task == "T2") {
  d <- svydesign(ids = ~psu, strata = ~prov, weights = ~w, nest = TRUE, data = df)
  overall <- lapply(vars, function(v) svymean(make.formula(v), d, na.rm = TRUE))
  by <- lapply(vars, function(v) svyby(make.formula(v), ~prov, d, svymean, na.rm = TRUE))
  t2 <- elapsed()
  res_overall <- setNames(lapply(overall, pair), vars)
  res_by <- list()
  for (j in seq_along(vars)) {
    est <- coef(by[[j]]); se <- SE(by[[j]])
    for (k in seq_along(est)) {
      dom <- names(est)[k]
      if (is.null(res_by[[dom]])) res_by[[dom]] <- list()
      res_by[[dom]][[vars[j]]] <- list(unname(est[k]), unname(se[k]))
    }
  }
  result <- list(overall = res_overall, by = res_by)
} else if (task == "T3") {
  reps <- paste0("rw", seq_len(nrep))
  d <- svrepdesign(variables = df[, vars], repweights = df[, reps],
                   weights = df$w, type = "bootstrap", combined.weights = TRUE, mse = FALSE)
  overall <- lapply(vars, function(v) svymean(make.formula(v), d, na.rm = TRUE))
  t2 <- elapsed()
  result <- list(overall = setNames(lapply(overall, pair), vars),
                 scale = d$scale)
} else {
  stop("unknown task ", task)
}
si <- sessionInfo()
info <- list(R = R.version.string, survey = as.character(packageVersion("survey")),
             blas = si$BLAS, data.table_threads = getDTthreads())
write_json(list(load_s = t1 - t0, core_s = t2 - t1, result = result, info = info), out_path,
           auto_unbox = TRUE, digits = NA)
