# Data sets used by the extra golden cases; exported to tests/reference/data/ at full precision.
data(api)

# ---- apiclus2 (two-stage cluster sample), with stage-wise sampling FRACTIONS added --------
apiclus2$fpc2 <- as.numeric(apiclus2$fpc2)          # drop the 1-d array class (values unchanged)
n1 <- length(unique(apiclus2$dnum))                  # 40 sampled districts
n2 <- ave(rep(1, nrow(apiclus2)), apiclus2$dnum, FUN = sum)   # schools sampled in the district
apiclus2$n2 <- n2
apiclus2$frac1 <- n1 / apiclus2$fpc1                 # first-stage sampling fraction
apiclus2$frac2 <- n2 / apiclus2$fpc2                 # second-stage sampling fraction
write_exact_csv(apiclus2, file.path(DATA_DIR, "apiclus2.csv"))

# copies of the shipped samples used here (identical content to /work/shared/reference/data)
write_exact_csv(apiclus1, file.path(DATA_DIR, "apiclus1.csv"))
write_exact_csv(apistrat, file.path(DATA_DIR, "apistrat.csv"))

# ---- many strata, two PSUs each (simulated) ------------------------------------------------
set.seed(20240611)
H <- 40
rows <- list()
for (h in 1:H) {
  base_w <- sample(20:300, 1)
  s_eff <- rnorm(1, 0, 6)
  for (j in 1:2) {
    m <- sample(5:12, 1)
    p_eff <- rnorm(1, 0, 4)
    x <- round(runif(m, 0, 10), 2)
    grp <- sample(c("a", "b", "c"), m, replace = TRUE, prob = c(0.5, 0.3, 0.2))
    dom <- sample(c("rural", "urban"), m, replace = TRUE, prob = c(0.35, 0.65))
    y <- round(50 + s_eff + p_eff + 2.5 * x + 4 * (grp == "b") - 3 * (grp == "c") + rnorm(m, 0, 10), 2)
    eta <- -1 + 0.3 * x + 0.5 * (dom == "urban") + s_eff / 10
    bin <- rbinom(m, 1, plogis(eta))
    cnt <- rpois(m, exp(0.3 + 0.12 * x + p_eff / 20))
    q <- round(rgamma(m, shape = 2, scale = 8))       # integer-valued, many ties (quantile rules)
    z <- round(rnorm(m, 100 + x, 15), 1)
    z[runif(m) < 0.06] <- NA                           # some missing values
    wt <- round(base_w * runif(m, 0.6, 1.4))           # integer weights varying within PSU
    rows[[length(rows) + 1]] <- data.frame(str = h, psu = j, wt = wt, x = x, y = y, grp = grp,
                                           dom = dom, bin = bin, cnt = cnt, q = q, z = z)
  }
}
ms <- do.call(rbind, rows)
ms$id <- seq_len(nrow(ms))
ms <- ms[, c("id", "str", "psu", "wt", "x", "y", "z", "q", "cnt", "bin", "grp", "dom")]
write_exact_csv(ms, file.path(DATA_DIR, "manystrata.csv"))
ms <- read.csv(file.path(DATA_DIR, "manystrata.csv"))   # use exactly what was written

# ---- stratified cluster sample with a lonely PSU (simulated) -------------------------------
set.seed(20240612)
npsu <- c(3, 2, 4, 1, 3, 2)             # stratum 4 has a single PSU
Npsu <- c(10, 8, 12, 5, 9, 6)           # population PSU counts (for the fpc variant)
rows <- list()
for (h in seq_along(npsu)) {
  for (j in seq_len(npsu[h])) {
    m <- sample(3:6, 1)
    # domain "A" present in only one PSU of stratum 2 (domain lonely PSU), otherwise mixed
    dom <- if (h == 2) rep(if (j == 1) "A" else "B", m) else sample(c("A", "B"), m, replace = TRUE)
    if (h != 2 && all(dom == "B")) dom[1] <- "A"
    rows[[length(rows) + 1]] <- data.frame(str = h, psu = j, wt = round(Npsu[h] / npsu[h] * runif(m, 8, 12), 2),
                                           Npsu = Npsu[h], y = round(rnorm(m, 20 + 2 * h + j, 5), 2), dom = dom)
  }
}
lonely <- do.call(rbind, rows)
lonely$id <- seq_len(nrow(lonely))
lonely <- lonely[, c("id", "str", "psu", "Npsu", "wt", "y", "dom")]
write_exact_csv(lonely, file.path(DATA_DIR, "lonely.csv"))
lonely <- read.csv(file.path(DATA_DIR, "lonely.csv"))

# re-read the api copies too, so designs are built from exactly the exported numbers
apiclus2 <- read.csv(file.path(DATA_DIR, "apiclus2.csv"), colClasses = c(cds = "character"))
apiclus1 <- read.csv(file.path(DATA_DIR, "apiclus1.csv"), colClasses = c(cds = "character"))
apistrat <- read.csv(file.path(DATA_DIR, "apistrat.csv"), colClasses = c(cds = "character"))
for (v in c("stype", "sch.wide", "comp.imp", "both", "awards", "yr.rnd")) {
  apiclus2[[v]] <- factor(apiclus2[[v]]); apiclus1[[v]] <- factor(apiclus1[[v]]); apistrat[[v]] <- factor(apistrat[[v]])
}

ms$grp <- factor(ms$grp); ms$dom <- factor(ms$dom)
lonely$dom <- factor(lonely$dom)
DMS <- "dms <- svydesign(id=~psu, strata=~str, weights=~wt, nest=TRUE, data=ms)"
DATA_MS <- "data/manystrata.csv"
eval(parse(text = DMS))
