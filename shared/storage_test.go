package shared_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestCapacityLevelOf(t *testing.T) {
	for _, c := range []struct {
		used, total uint64
		want        shared.CapacityLevel
	}{
		{0, 0, shared.CapacityUnknown}, {0, 100, shared.CapacityOK}, {79, 100, shared.CapacityOK}, {80, 100, shared.CapacityWarning},
		{89, 100, shared.CapacityWarning}, {90, 100, shared.CapacityCritical}, {100, 100, shared.CapacityCritical}, {150, 100, shared.CapacityCritical},
		{1<<64 - 1, 1<<64 - 1, shared.CapacityCritical}, {(1<<64 - 1) / 2, 1<<64 - 1, shared.CapacityOK},
		{8, 10, shared.CapacityWarning}, {7, 9, shared.CapacityOK}, {8, 9, shared.CapacityWarning},
	} {
		require.Equal(t, c.want, shared.CapacityLevelOf(c.used, c.total), "%d of %d", c.used, c.total)
	}
}
