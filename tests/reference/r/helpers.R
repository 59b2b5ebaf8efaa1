# Helpers for make_extra.R: exact JSON/CSV writers and converters from R `survey` result
# objects to the golden-case JSON schema used by /work/shared/reference/golden/*.json.
#
# Why a hand-written JSON writer: jsonlite::toJSON(digits = NA) prints only 15 significant
# digits (jsonlite 1.8.4), which is NOT full double precision.  Here every double is written
# with the shortest of %.15g / %.16g / %.17g that reads back to the identical double.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

REF_DIR <- file.path("tests", "reference")
GOLDEN_DIR <- file.path(REF_DIR, "golden")
DATA_DIR <- file.path(REF_DIR, "data")
REPW_DIR <- file.path(DATA_DIR, "repweights")
R_VERSION <- R.version.string
SURVEY_VERSION <- as.character(packageVersion("survey"))
FAILURES <- character(0)

# ---------------------------------------------------------------- numbers -----
num2str <- function(x) {
  out <- character(length(x))
  for (i in seq_along(x)) {
    v <- x[i]
    if (is.na(v)) { out[i] <- "null"; next }
    if (is.infinite(v)) { out[i] <- if (v > 0) "\"Inf\"" else "\"-Inf\""; next }
    s <- sprintf("%.15g", v)
    if (as.numeric(s) != v) s <- sprintf("%.16g", v)
    if (as.numeric(s) != v) s <- sprintf("%.17g", v)
    out[i] <- s
  }
  out
}

# the same for CSV cells (missing -> empty field)
num2csv <- function(x) {
  s <- num2str(x)
  s[is.na(x)] <- ""
  s
}

jstr <- function(s) {
  ifelse(is.na(s), "null", vapply(s, function(z) as.character(jsonlite::toJSON(z, auto_unbox = TRUE)), ""))
}

# ---------------------------------------------------------------- JSON --------
# Conventions: named list -> object; unnamed list -> array; atomic length 1 -> scalar
# (unless wrapped in I()); atomic length != 1 -> array (names dropped: use nv() to keep them).
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent + 1)
  padc <- strrep(" ", indent)
  if (is.null(x)) return("null")
  if (is.factor(x)) x <- as.character(x)
  if (is.list(x) && !is.data.frame(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    named <- !is.null(names(x)) && all(names(x) != "")
    kids <- vapply(seq_along(x), function(i) to_json(x[[i]], indent + 1), "")
    if (named) kids <- paste0(jstr(names(x)), ": ", kids)
    # short containers of one-line children are written on one line
    if (!any(grepl("\n", kids, fixed = TRUE)) && sum(nchar(kids)) + 2 * length(kids) < 200) {
      return(if (named) paste0("{", paste(kids, collapse = ", "), "}") else paste0("[", paste(kids, collapse = ", "), "]"))
    }
    if (named) return(paste0("{\n", paste0(pad, kids, collapse = ",\n"), "\n", padc, "}"))
    return(paste0("[\n", paste0(pad, kids, collapse = ",\n"), "\n", padc, "]"))
  }
  if (is.data.frame(x)) return(to_json(as.list(x), indent))
  asis <- inherits(x, "AsIs")
  x <- unclass(x)
  if (is.logical(x)) s <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  else if (is.numeric(x)) s <- num2str(as.numeric(x))
  else s <- jstr(as.character(x))
  if (length(x) == 1 && !asis) return(s)
  paste0("[", paste(s, collapse = ", "), "]")
}

write_json_file <- function(obj, file) {
  txt <- to_json(obj)
  writeLines(txt, file, useBytes = TRUE)
  cat("wrote", file, "\n")
}

# ---------------------------------------------------------------- CSV ---------
# Doubles at full precision (shortest round-trip), missing -> empty, strings quoted.
write_exact_csv <- function(df, file) {
  df <- as.data.frame(df)
  cols <- lapply(df, function(col) {
    if (is.factor(col)) col <- as.character(col)
    if (is.character(col)) {
      ifelse(is.na(col), "", paste0("\"", gsub("\"", "\"\"", col), "\""))
    } else if (is.logical(col)) {
      ifelse(is.na(col), "", ifelse(col, "TRUE", "FALSE"))
    } else {
      num2csv(as.numeric(col))
    }
  })
  lines <- do.call(paste, c(cols, sep = ","))
  hdr <- paste0("\"", names(df), "\"", collapse = ",")
  writeLines(c(hdr, lines), file, useBytes = TRUE)
  cat("wrote", file, "\n")
}

# ---------------------------------------------------------------- converters --
nv <- function(x) {                       # named vector -> JSON object
  if (is.null(x)) return(NULL)
  x <- drop(x)
  if (is.null(names(x))) return(I(unname(as.vector(x))))
  as.list(setNames(as.vector(x), names(x)))
}

mat <- function(m) {
  if (is.null(m)) return(NULL)
  m <- as.matrix(m)
  list(rownames = if (is.null(rownames(m))) NULL else I(rownames(m)),
       colnames = if (is.null(colnames(m))) NULL else I(colnames(m)),
       values = lapply(seq_len(nrow(m)), function(i) I(unname(as.numeric(m[i, ])))))
}

safe <- function(expr) tryCatch(expr, error = function(e) NULL)

conv_htest <- function(x) {
  list(type = "htest", method = x$method,
       statistic_name = names(x$statistic),
       statistic = unname(x$statistic),
       parameter = if (is.null(x$parameter)) NULL else as.list(x$parameter),
       p_value = unname(x$p.value),
       estimate = if (is.null(x$estimate)) NULL else nv(x$estimate),
       conf_int = if (is.null(x$conf.int)) NULL else I(as.numeric(x$conf.int)),
       conf_level = if (is.null(x$conf.int)) NULL else attr(x$conf.int, "conf.level"),
       observed = if (is.null(x$observed)) NULL else mat(unclass(x$observed)))
}

conv_svyglm <- function(m) {
  s <- summary(m)
  cf <- s$coefficients
  list(type = "svyglm", family = m$family$family, link = m$family$link,
       coef = nv(coef(m)),
       se = nv(setNames(cf[, 2], rownames(cf))),
       t_or_z = nv(setNames(cf[, 3], rownames(cf))),
       p_value = nv(setNames(cf[, 4], rownames(cf))),
       stat_name = colnames(cf)[3],
       df_residual = m$df.residual,
       dispersion = unname(as.numeric(s$dispersion)),
       deviance = m$deviance, null_deviance = m$null.deviance,
       aic = safe(nv(AIC(m))),
       vcov = mat(vcov(m)))
}

conv_regtermtest <- function(x) {
  cls <- class(x)[1]
  list(type = cls, test_terms = I(x$test.terms),
       Ftest = if (is.null(x$Ftest)) NULL else as.numeric(x$Ftest),
       chisq = if (is.null(x$chisq)) NULL else as.numeric(x$chisq),
       df = x$df, ddf = x$ddf, p_value = as.numeric(x$p),
       lambda = if (is.null(x$lambda)) NULL else I(as.numeric(x$lambda)))
}

conv_quantile <- function(x) {
  out <- list(type = "svyquantile")
  for (nm in names(x)) out[[nm]] <- mat(x[[nm]])
  out
}

to_result <- function(x) {
  if (inherits(x, "svyby")) {
    tab <- as.data.frame(x)
    tab[] <- lapply(tab, function(z) if (is.factor(z)) as.character(z) else z)
    cf <- coef(x)
    res <- list(type = "svyby", by_levels = I(rownames(x)),
                names = I(names(cf)),
                estimate = I(unname(cf)), se = I(as.vector(as.matrix(SE(x)))),
                table = lapply(as.list(tab), function(z) I(unname(z))))
    d <- safe(deff(x))
    if (!is.null(d) && !is.null(attr(x, "deffs"))) res$deff <- I(unname(as.numeric(d)))
    if (!is.null(attr(x, "var")) && isTRUE(all.equal(dim(attr(x, "var")), c(length(cf), length(cf)))))
      res$vcov <- mat(vcov(x))
    return(res)
  }
  if (inherits(x, "svyvar") || inherits(x, "svrepvar")) {
    v <- as.matrix(unclass(x))
    V <- as.matrix(attr(x, "var"))
    attributes(v) <- list(dim = dim(v), dimnames = dimnames(v))
    attr(V, "means") <- NULL
    return(list(type = if (inherits(x, "svrepvar")) "svrepvar" else "svyvar", statistic = "variance",
                estimate = mat(v),
                se = mat(matrix(sqrt(diag(V)), nrow(v), ncol(v), dimnames = dimnames(v))),
                vcov = mat(V),
                vcov_layout = "rows/cols of vcov index as.vector(estimate matrix), i.e. column-major (1,1),(2,1),...,(1,2),..."))
  }
  if (inherits(x, "svystat") || inherits(x, "svrepstat")) {
    res <- list(type = if (inherits(x, "svrepstat")) "svrepstat" else "svystat",
                statistic = attr(x, "statistic"),
                estimate = nv(coef(x)), se = nv(setNames(as.vector(SE(x)), names(coef(x)))),
                vcov = mat(vcov(x)))
    if (!is.null(attr(x, "deff"))) res$deff <- nv(setNames(deff(x), names(coef(x))))
    return(res)
  }
  if (inherits(x, "svyratio")) {
    return(list(type = "svyratio", ratio = mat(x$ratio), se = mat(SE(x)), var = mat(x$var)))
  }
  if (inherits(x, "svyciprop")) {
    return(list(type = "svyciprop", estimate = unname(as.numeric(coef(x))),
                se = unname(as.numeric(SE(x))), ci = I(unname(as.numeric(confint(x))))))
  }
  if (inherits(x, "newsvyquantile")) return(conv_quantile(x))
  if (inherits(x, "htest")) return(conv_htest(x))
  if (inherits(x, "svyglm")) return(conv_svyglm(x))
  if (inherits(x, c("regTermTest", "regTermTestLRT", "regTermTestWW"))) return(conv_regtermtest(x))
  if (inherits(x, "svytable") || inherits(x, "table")) return(list(type = "svytable", table = mat(unclass(x))))
  if (is.numeric(x) && is.null(dim(x))) {
    if (length(x) == 1) return(list(type = "value", value = unname(x)))
    return(list(type = "value", value = nv(x)))
  }
  stop("don't know how to convert class ", paste(class(x), collapse = "/"))
}

# ---------------------------------------------------------------- runners -----
# Evaluate an R call string verbatim, capturing warnings; return converted result or error.
run_call <- function(call, env = globalenv()) {
  warns <- character(0)
  val <- tryCatch(
    withCallingHandlers(eval(parse(text = call), envir = env),
                        warning = function(w) {
                          warns <<- c(warns, conditionMessage(w))
                          invokeRestart("muffleWarning")
                        }),
    error = function(e) e)
  if (inherits(val, "error")) {
    return(list(ok = FALSE, result = list(type = "error", message = conditionMessage(val)),
                warnings = unique(warns)))
  }
  res <- tryCatch(to_result(val), error = function(e) list(type = "error", message = paste("conversion:", conditionMessage(e))))
  list(ok = res$type != "error", result = res, warnings = unique(warns))
}

# Build one estimation entry; records unexpected failures in FAILURES.
make_entry <- function(id, data, design, call, notes = NULL, expect_error = FALSE,
                       options = NULL, env = globalenv()) {
  old <- NULL
  if (!is.null(options)) old <- do.call(base::options, options)
  r <- run_call(call, env)
  if (!is.null(old)) base::options(old)
  if (!r$ok && !expect_error) {
    FAILURES <<- c(FAILURES, paste0(id, ": ", r$result$message))
    message("FAILED ", id, ": ", r$result$message)
  }
  e <- list(id = id, data = data, design = design, call = call, notes = notes)
  if (!is.null(options)) e$options <- options
  if (length(r$warnings)) e$r_warnings <- I(r$warnings)
  e$result <- r$result
  e
}

# One estimate inside a design-level record ({call, result}).
make_est <- function(call, env = globalenv(), label = "") {
  r <- run_call(call, env)
  if (!r$ok) {
    FAILURES <<- c(FAILURES, paste0(label, " ", call, ": ", r$result$message))
    message("FAILED ", label, " ", call, ": ", r$result$message)
  }
  e <- list(call = call)
  if (length(r$warnings)) e$r_warnings <- I(r$warnings)
  e$result <- r$result
  e
}

weights_summary <- function(w) {
  q <- quantile(w, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  list(n = length(w), sum = sum(w), min = min(w), q1 = q[1], median = q[2], mean = mean(w),
       q3 = q[3], max = max(w), sd = sd(w), kish_deff = length(w) * sum(w^2) / sum(w)^2)
}

file_header <- function(title, script, ...) {
  c(list(title = title,
         source = "R package 'survey' (T. Lumley); computed for citizensfirst by tests/reference/r/make_extra.R",
         script = script, r_version = R_VERSION, survey_version = SURVEY_VERSION,
         jsonlite_version = as.character(packageVersion("jsonlite")),
         number_format = "doubles written with the shortest of %.15g/%.16g/%.17g that round-trips exactly; null = NA; \"Inf\" = Inf"),
    list(...))
}
