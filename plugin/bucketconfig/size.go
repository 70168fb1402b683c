package bucketconfig

import (
	"math"
	"strconv"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// sizeUnits are the units ParseSize takes, as mc's quota command does:
// KB, MB, … are powers of 1000, KiB, MiB, … powers of 1024; a bare K, M, …
// is the decimal unit.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pib": 1 << 50,
}

// ParseSize reads a size such as "10GiB", "500 MB", "1.5 TiB" or "1048576"
// (bytes), for the input field. A fraction of a byte is refused.
func ParseSize(s, field string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, known := sizeUnits[unit]
	n, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil || !known {
		return 0, shared.FieldError(field, "%s %q is not a size: give bytes or a size such as 10GiB, 500MB or 1.5TiB", field, s)
	}
	v := n * mult
	switch {
	case v >= math.MaxUint64:
		return 0, shared.FieldError(field, "%s %q is too large", field, s)
	case v != math.Trunc(v):
		return 0, shared.FieldError(field, "%s %q is not a whole number of bytes", field, s)
	}
	return uint64(v), nil
}
