package history

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/store"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func open(t testing.TB) *History {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return New(db, DefaultPolicy)
}

func pt(series string, at time.Time, v uint64) Point {
	return Point{Series: series, Sample: Sample{At: at, Value: v}}
}

func TestRecordKeepsChangesOnly(t *testing.T) {
	h := open(t)
	s := BucketSeries("photos")
	steps := []struct {
		at    time.Duration
		value uint64
	}{
		{0, 100}, {30 * time.Second, 100}, {time.Minute, 250}, {time.Minute, 999}, // same second: ignored
		{50 * time.Second, 7}, // older than the newest: ignored
		{90 * time.Second, 40}, {2 * time.Minute, math.MaxUint64}, {3 * time.Minute, 0},
	}
	for _, st := range steps {
		require.NoError(t, h.Record(t0.Add(st.at), []Point{pt(s, t0.Add(st.at), st.value)}))
	}
	got, err := h.Series(s, t0.Add(5*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []Sample{
		{t0, 100}, {t0.Add(time.Minute), 250}, {t0.Add(90 * time.Second), 40},
		{t0.Add(2 * time.Minute), math.MaxUint64}, {t0.Add(3 * time.Minute), 0},
	}, got, "unchanged, stale and same-second figures are not stored; deltas both ways survive the encoding")
	none, err := h.Series(BucketSeries("other"), t0)
	require.NoError(t, err)
	require.Empty(t, none)
}

// TestDownsampling runs three days of refreshes every 10 minutes on a fake
// clock: the last 24 hours keep every sample, older hours keep their last
// one, and nothing older than the hourly window survives.
func TestDownsampling(t *testing.T) {
	p := Policy{Raw: 24 * time.Hour, Hourly: 48 * time.Hour}
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	require.NoError(t, err)
	defer db.Close()
	h := New(db, p)
	s := DriveSeries("/data")
	const step = 10 * time.Minute
	end := t0.Add(72 * time.Hour)
	n := uint64(0)
	for at := t0; !at.After(end); at = at.Add(step) {
		n++
		require.NoError(t, h.Record(at, []Point{pt(s, at, n)}))
	}
	got, err := h.Series(s, end)
	require.NoError(t, err)
	all, err := h.All(end)
	require.NoError(t, err)
	require.Equal(t, map[string][]Sample{s: got}, all, "All and Series agree")

	rawFrom := end.Add(-24 * time.Hour).Truncate(time.Hour)
	var raw, hourly []Sample
	for _, x := range got {
		if x.At.Before(rawFrom) {
			hourly = append(hourly, x)
		} else {
			raw = append(raw, x)
		}
	}
	require.Len(t, raw, int(end.Sub(rawFrom)/step)+1, "every sample of the last day")
	for i := 1; i < len(raw); i++ {
		require.Equal(t, step, raw[i].At.Sub(raw[i-1].At))
	}
	require.NotEmpty(t, hourly)
	require.False(t, hourly[0].At.Before(end.Add(-48*time.Hour-24*time.Hour)), "nothing older than the hourly window (a day's block at most)")
	for i, x := range hourly {
		require.Equal(t, 50*time.Minute, x.At.Sub(x.At.Truncate(time.Hour)), "the last sample of its hour: %v", x.At)
		if i > 0 {
			require.Equal(t, time.Hour, x.At.Sub(hourly[i-1].At))
		}
		require.Equal(t, uint64(x.At.Sub(t0)/step)+1, x.Value)
	}
}

func TestForgetAndExpiry(t *testing.T) {
	h := open(t)
	a, b := BucketSeries("a"), BucketSeries("b")
	require.NoError(t, h.Record(t0, []Point{pt(a, t0, 1), pt(b, t0, 2)}))
	require.NoError(t, h.Forget(a))
	all, err := h.All(t0)
	require.NoError(t, err)
	require.Equal(t, map[string][]Sample{b: {{t0, 2}}}, all)

	// 91 days later b's sample has expired, and the same figure is stored
	// again.
	later := t0.Add(91 * 24 * time.Hour)
	require.NoError(t, h.Record(later, []Point{pt(b, later, 2)}))
	got, err := h.Series(b, later)
	require.NoError(t, err)
	require.Equal(t, []Sample{{later, 2}}, got)
}

func TestSplitSeries(t *testing.T) {
	for _, c := range []struct{ series, kind, name string }{
		{BucketSeries("photos"), "bucket", "photos"},
		{DriveSeries("/var/lib/x"), "drive", "/var/lib/x"},
		{"odd", "", "odd"},
	} {
		k, n := SplitSeries(c.series)
		require.Equal(t, c.kind, k)
		require.Equal(t, c.name, n)
	}
}

func TestPredict(t *testing.T) {
	now := t0.Add(10 * 24 * time.Hour)
	gib := uint64(1 << 30)
	grow := []Sample{{t0, 10 * gib}, {now.Add(-7 * 24 * time.Hour), 20 * gib}, {now.Add(-time.Hour), 26 * gib}}
	cases := []struct {
		name    string
		samples []Sample
		current Sample
		limit   uint64
		want    Outlook
		in      time.Duration
		span    time.Duration
		text    string
	}{
		{"7 GiB a week, 21 GiB left", grow, Sample{now, 27 * gib}, 48 * gib, Reaches, 21 * 24 * time.Hour, 7 * 24 * time.Hour,
			"at the last 7 days' rate, the disk is full in about 21 days"},
		{"history shorter than the window", []Sample{{now.Add(-3 * time.Hour), 0}}, Sample{now, 3 * gib}, 9 * gib, Reaches, 6 * time.Hour, 3 * time.Hour,
			"at the last 3 hours' rate, the disk is full in about 6 hours"},
		{"window starts between samples", []Sample{{now.Add(-30 * 24 * time.Hour), gib}, {now.Add(-time.Hour), 2 * gib}}, Sample{now, 8 * gib}, 15 * gib, Reaches, 7 * 24 * time.Hour, 7 * 24 * time.Hour,
			"at the last 7 days' rate, the disk is full in about 7 days"},
		{"shrinking", grow, Sample{now, 5 * gib}, 48 * gib, NotGrowing, 0, 7 * 24 * time.Hour, "the disk is not growing (last 7 days)"},
		{"flat", []Sample{{now.Add(-2 * time.Hour), gib}}, Sample{now, gib}, 2 * gib, NotGrowing, 0, 2 * time.Hour, "the disk is not growing (last 2 hours)"},
		{"no limit", grow, Sample{now, 27 * gib}, 0, NotGrowing, 0, 7 * 24 * time.Hour, "the disk is not growing (last 7 days)"},
		{"at the limit", grow, Sample{now, 48 * gib}, 48 * gib, AlreadyReached, 0, 0, "the disk is full now"},
		{"no history", nil, Sample{now, gib}, 2 * gib, NotEnoughHistory, 0, 0, "not enough history yet for a forecast of the disk"},
		{"too short", []Sample{{now.Add(-30 * time.Second), 0}}, Sample{now, gib}, 2 * gib, NotEnoughHistory, 0, 30 * time.Second, "not enough history yet for a forecast of the disk"},
		{"samples after now are ignored", []Sample{{now.Add(time.Hour), 0}}, Sample{now, gib}, 2 * gib, NotEnoughHistory, 0, 0, "not enough history yet for a forecast of the disk"},
		{"a minute", []Sample{{now.Add(-time.Minute), 0}}, Sample{now, 60}, 180, Reaches, 2 * time.Minute, time.Minute,
			"at the last minute's rate, the disk is full in about 2 minutes"},
		{"far away", []Sample{{now.Add(-24 * time.Hour), 0}}, Sample{now, 1}, 1 << 62, Reaches, 0, 24 * time.Hour, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Predict(c.samples, c.current, c.limit, ForecastWindow)
			require.Equal(t, c.want, f.Outlook)
			require.Equal(t, c.span, f.Span)
			if c.in != 0 {
				require.InDelta(t, c.in.Seconds(), f.In.Seconds(), 1)
			}
			if c.text != "" {
				require.Equal(t, c.text, f.Text("the disk", "is full", "is full"))
			} else {
				require.Equal(t, "at the last 24 hours' rate, the disk is full in more than a year", f.Text("the disk", "is full", "is full"))
			}
		})
	}
	require.Equal(t, "at the last 7 days' rate, bucket backups reaches its quota in about 6 days",
		Forecast{Outlook: Reaches, In: 6 * 24 * time.Hour, Span: 7 * 24 * time.Hour}.Text("bucket backups", "reaches its quota", "is at its quota"))
}

func TestAbout(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:     "less than 2 minutes",
		5 * time.Minute:      "about 5 minutes",
		150 * time.Minute:    "about 3 hours",
		23 * 24 * time.Hour:  "about 23 days",
		400 * 24 * time.Hour: "more than a year",
	} {
		require.Equal(t, want, About(d), fmt.Sprint(d))
	}
}
