# One raking run (T1) of R's survey package; driven by run_weighting.py.
#   Rscript benchmarks/weighting_worker.R CSV OUT_DIR MARGINS_JSON EPSILON MAXIT UNIFORM
# Reads the CSV (margin columns + base weight w) with data.table::fread (load), then times
# svydesign(ids=~1, weights=~w) + rake(...) (core). Population margins are the shares in
# MARGINS_JSON times the sum of the starting weights. rake's own stopping rule: stop once no cell
# of the crossed table changes by more than EPSILON (x the sum of the weights when < 1) between
# sweeps. Writes OUT_DIR/out.json and the final weights as OUT_DIR/weights.f64 (float64).
args <- commandArgs(trailingOnly = TRUE)
csv <- args[1]; out_dir <- args[2]; margins_json <- args[3]
epsilon <- as.numeric(args[4]); maxit <- as.integer(args[5]); uniform <- args[6] == "1"
elapsed <- function() proc.time()[["elapsed"]]
t0 <- elapsed()
suppressMessages({library(survey); library(data.table); library(jsonlite)})
shares <- fromJSON(margins_json, simplifyVector = FALSE)
df <- fread(csv, showProgress = FALSE, colClasses = list(character = names(shares)))
setDF(df)
if (uniform) df$w <- 1
t1 <- elapsed()

d <- svydesign(ids = ~1, weights = ~w, data = df)
total <- sum(df$w)
sample_margins <- lapply(names(shares), function(v) as.formula(paste0("~", v)))
population_margins <- lapply(names(shares), function(v) {
  s <- shares[[v]]
  out <- data.frame(names(s), unlist(s, use.names = FALSE) * total, stringsAsFactors = FALSE)
  names(out) <- c(v, "Freq")
  out
})
raked <- rake(d, sample_margins, population_margins, control = list(maxit = maxit, epsilon = epsilon, verbose = FALSE))
w <- weights(raked)
t2 <- elapsed()

writeBin(as.numeric(w), file.path(out_dir, "weights.f64"), size = 8, endian = "little")
si <- sessionInfo()
info <- list(R = R.version.string, survey = as.character(packageVersion("survey")), blas = si$BLAS,
             rule = sprintf("control=list(maxit=%d, epsilon=%g): max change of a crossed-table cell between sweeps < epsilon x sum of weights", maxit, epsilon))
write_json(list(load_s = t1 - t0, core_s = t2 - t1, info = info), file.path(out_dir, "out.json"),
           auto_unbox = TRUE, digits = NA)
