package addons

import (
	"strconv"
	"strings"
)

// compareVersions compares two semantic versions (already checked by the
// manifest): -1, 0 or 1. A pre-release sorts before its release; build
// metadata is ignored; pre-release identifiers compare as semver.org says
// (numeric ones numerically, below alphanumeric ones).
func compareVersions(a, b string) int {
	a, _, _ = strings.Cut(a, "+")
	b, _, _ = strings.Cut(b, "+")
	ac, apre, _ := strings.Cut(a, "-")
	bc, bpre, _ := strings.Cut(b, "-")
	an, bn := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := range 3 {
		if c := compareNumbers(part(an, i), part(bn, i)); c != 0 {
			return c
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	ai, bi := strings.Split(apre, "."), strings.Split(bpre, ".")
	for i := 0; i < len(ai) && i < len(bi); i++ {
		if c := compareIdentifiers(ai[i], bi[i]); c != 0 {
			return c
		}
	}
	return compareInts(len(ai), len(bi))
}

func part(p []string, i int) string {
	if i < len(p) {
		return p[i]
	}
	return "0"
}

func compareNumbers(a, b string) int {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func compareIdentifiers(a, b string) int {
	_, aerr := strconv.ParseUint(a, 10, 64)
	_, berr := strconv.ParseUint(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		return compareNumbers(a, b)
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
