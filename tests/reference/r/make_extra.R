# Regenerate all extra golden cases.  Run from the repository root:
#   Rscript tests/reference/r/make_extra.R
# Requires R with packages survey and jsonlite (Debian: r-base-core r-cran-survey r-cran-jsonlite).
if (!file.exists(file.path("tests", "reference", "r", "make_extra.R")))
  stop("run from the repository root: Rscript tests/reference/r/make_extra.R")
RDIR <- file.path("tests", "reference", "r")
source(file.path(RDIR, "helpers.R"))
dir.create(GOLDEN_DIR, showWarnings = FALSE, recursive = TRUE)
dir.create(REPW_DIR, showWarnings = FALSE, recursive = TRUE)
cat(R_VERSION, "/ survey", SURVEY_VERSION, "\n")

sections <- c("00_data.R", "01_twostage.R", "02_manystrata.R", "03_lonely.R",
              "04_replicate.R", "05_tests_models.R", "06_weighting.R")
only <- commandArgs(trailingOnly = TRUE)
if (any(c("05_tests_models", "06_weighting") %in% only)) only <- union(only, "04_replicate")  # uses its designs
for (s in sections) {
  if (length(only) && s != "00_data.R" && !(sub("\\.R$", "", s) %in% only)) next
  cat("== ", s, "\n")
  source(file.path(RDIR, s), echo = FALSE)
}
writeLines(if (length(FAILURES)) FAILURES else "(none)", file.path(RDIR, "failures.txt"))
cat("\nFailures:", length(FAILURES), "\n"); if (length(FAILURES)) cat(FAILURES, sep = "\n")
