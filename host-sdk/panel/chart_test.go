package panel

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func series(points ...shared.ChartPoint) []shared.ChartSeries {
	return []shared.ChartSeries{{Points: points}}
}

func TestChartLayout(t *testing.T) {
	t.Run("no points shows the empty text", func(t *testing.T) {
		v := viewOfChart(shared.Chart{Title: "x"})
		require.Equal(t, "No data yet.", v.Empty)
		require.Empty(t, v.Lines)
		require.Equal(t, "nothing", viewOfChart(shared.Chart{Empty: "nothing", Series: series()}).Empty)
	})
	t.Run("one point is a flat stroke across the plot", func(t *testing.T) {
		v := viewOfChart(shared.Chart{Series: series(shared.ChartPoint{T: t0, V: 5})})
		require.Len(t, v.Lines, 1)
		require.Equal(t, "4,23.1 316,23.1", v.Lines[0].Points)
		require.Equal(t, "5", v.Last)
		require.Equal(t, "5.40", v.Top, "the top is the value with 8 % headroom")
	})
	t.Run("steps: a figure holds until the next one", func(t *testing.T) {
		v := viewOfChart(shared.Chart{Series: series(
			shared.ChartPoint{T: t0, V: 0}, shared.ChartPoint{T: t0.Add(time.Hour), V: 100}, shared.ChartPoint{T: t0.Add(2 * time.Hour), V: 100})})
		require.Equal(t, "4,112 160,112 160,23.1 316,23.1", v.Lines[0].Points)
		require.Equal(t, "10:00", v.Start)
		require.Equal(t, "12:00", v.End)
	})
	t.Run("a long series is merged to one point per column", func(t *testing.T) {
		var pts []shared.ChartPoint
		for i := range 10000 {
			pts = append(pts, shared.ChartPoint{T: t0.Add(time.Duration(i) * time.Second), V: float64(i)})
		}
		v := viewOfChart(shared.Chart{Unit: shared.UnitBytes, Series: series(pts...)})
		n := len(strings.Fields(v.Lines[0].Points))
		require.LessOrEqual(t, n, 2*(chartW-chartLeft-chartRight+1))
		require.Greater(t, n, 300)
		require.Equal(t, "9.8 KiB", v.Last)
	})
	t.Run("the limit widens the value axis and labels itself", func(t *testing.T) {
		v := viewOfChart(shared.Chart{Unit: shared.UnitBytes, Series: series(shared.ChartPoint{T: t0, V: 1 << 20}), Limit: &shared.ChartLimit{Value: 4 << 20}})
		require.Equal(t, "4.0 MiB", v.Limit.Label)
		require.Equal(t, "4.3 MiB", v.Top)
		require.Less(t, v.Limit.Y, 30.0)
	})
	t.Run("dates for spans over a day and a half", func(t *testing.T) {
		v := viewOfChart(shared.Chart{Series: series(shared.ChartPoint{T: t0, V: 1}, shared.ChartPoint{T: t0.Add(72 * time.Hour), V: 1.5})})
		require.Equal(t, "Nov 29", v.Start)
		require.Equal(t, "Dec 2", v.End)
		require.Equal(t, "1.50", v.Last)
	})
}

func TestMeterView(t *testing.T) {
	require.Equal(t, 50.0, viewOfMeter(&shared.Meter{Value: 1, Max: 2}).Pct)
	require.Equal(t, 100.0, viewOfMeter(&shared.Meter{Value: 3, Max: 2, Level: shared.LevelError}).Pct, "over the max fills the bar")
	require.Equal(t, "150%", viewOfMeter(&shared.Meter{Value: 3, Max: 2}).Aria)
	require.Equal(t, shared.LevelInfo, viewOfMeter(&shared.Meter{Value: 0, Max: 2}).Level)
}
