package panel

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// Chart geometry, in SVG user units: the plot sits inside the margins.
const (
	chartW      = 320
	chartH      = 130
	chartLeft   = 4
	chartRight  = 4
	chartTop    = 16
	chartBottom = 18
)

// chartView is a chart ready for the template: every coordinate computed,
// every label formatted.
type chartView struct {
	W, H   int
	Lines  []chartLine
	Limit  *chartLimitView
	Top    string // the value at the top of the plot
	Start  string // the time at the left edge
	End    string // the time at the right edge
	Last   string // the newest value of the first series
	Aria   string
	Empty  string
	PlotX1 float64
	PlotX2 float64
	PlotY  float64 // the baseline (value 0)
}

type chartLine struct {
	Index  int
	Label  string
	Points string // polyline points, "x,y x,y …"
}

type chartLimitView struct {
	Y      float64
	Label  string
	LabelY float64
}

// viewOfChart lays a chart out: a shared time axis over every series, a
// value axis from 0 to the largest value or the limit (with headroom), and
// each series drawn as steps (a figure holds until the next one), merged
// to at most one point per user unit so that a long series stays small.
func viewOfChart(c shared.Chart) chartView {
	v := chartView{W: chartW, H: chartH, PlotX1: chartLeft, PlotX2: chartW - chartRight, PlotY: chartH - chartBottom}
	var tMin, tMax time.Time
	vMax := 0.0
	points := 0
	for _, s := range c.Series {
		for _, p := range s.Points {
			if points == 0 || p.T.Before(tMin) {
				tMin = p.T
			}
			if points == 0 || p.T.After(tMax) {
				tMax = p.T
			}
			vMax = math.Max(vMax, p.V)
			points++
		}
	}
	if points == 0 {
		v.Empty = c.Empty
		if v.Empty == "" {
			v.Empty = "No data yet."
		}
		return v
	}
	if c.Limit != nil {
		vMax = math.Max(vMax, c.Limit.Value)
	}
	if vMax <= 0 {
		vMax = 1
	}
	vMax *= 1.08
	span := tMax.Sub(tMin)
	plotW := v.PlotX2 - v.PlotX1
	plotH := v.PlotY - chartTop
	x := func(t time.Time) float64 {
		if span <= 0 {
			return v.PlotX2
		}
		return v.PlotX1 + plotW*float64(t.Sub(tMin))/float64(span)
	}
	y := func(val float64) float64 { return v.PlotY - plotH*val/vMax }
	for i, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		// One point per column: a newer figure in the same column
		// replaces the older one.
		type xy struct{ x, y float64 }
		cols := make([]xy, 0, min(len(s.Points), int(plotW)+1))
		for _, p := range s.Points {
			pt := xy{round1(x(p.T)), round1(y(p.V))}
			if n := len(cols); n > 0 && math.Abs(cols[n-1].x-pt.x) < 1 {
				cols[n-1].y = pt.y
				continue
			}
			cols = append(cols, pt)
		}
		var b strings.Builder
		if span <= 0 {
			fmt.Fprintf(&b, "%s,%s ", num(v.PlotX1), num(cols[0].y))
		}
		for j, pt := range cols {
			if j > 0 && pt.y != cols[j-1].y {
				fmt.Fprintf(&b, "%s,%s ", num(pt.x), num(cols[j-1].y))
			}
			fmt.Fprintf(&b, "%s,%s ", num(pt.x), num(pt.y))
		}
		v.Lines = append(v.Lines, chartLine{Index: i, Label: s.Label, Points: strings.TrimSpace(b.String())})
	}
	if c.Limit != nil {
		ly := round1(y(c.Limit.Value))
		label := c.Limit.Label
		if label == "" {
			label = formatValue(c.Unit, c.Limit.Value)
		}
		v.Limit = &chartLimitView{Y: ly, Label: label, LabelY: math.Max(ly-3, 9)}
	}
	v.Top = formatValue(c.Unit, vMax)
	v.Start, v.End = formatTimes(tMin, tMax)
	for _, s := range c.Series {
		if n := len(s.Points); n > 0 {
			v.Last = formatValue(c.Unit, s.Points[n-1].V)
			break
		}
	}
	v.Aria = fmt.Sprintf("%s: %s, from %s to %s UTC", c.Title, v.Last, v.Start, v.End)
	if c.Limit != nil {
		v.Aria += "; limit " + v.Limit.Label
	}
	return v
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// formatValue writes a value in the chart's unit.
func formatValue(u shared.ChartUnit, f float64) string {
	if u == shared.UnitBytes {
		if f < 0 {
			return "-" + shared.HumanBytes(uint64(-f))
		}
		return shared.HumanBytes(uint64(f))
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// formatTimes labels the time axis's ends: times of day for a span of up
// to a day and a half, dates beyond.
func formatTimes(a, b time.Time) (string, string) {
	layout := "Jan 2"
	if b.Sub(a) <= 36*time.Hour {
		layout = "15:04"
		if a.YearDay() != b.YearDay() {
			layout = "Jan 2 15:04"
		}
	}
	return a.UTC().Format(layout), b.UTC().Format(layout)
}

// meterView is a meter's filled fraction, in percent of the bar.
type meterView struct {
	Pct   float64
	Level shared.Level
	Aria  string
}

func viewOfMeter(m *shared.Meter) meterView {
	pct := 0.0
	if m.Max > 0 {
		pct = math.Min(100, math.Max(0, 100*m.Value/m.Max))
	}
	return meterView{Pct: round1(pct), Level: levelOf(m.Level), Aria: fmt.Sprintf("%.0f%%", 100*m.Value/math.Max(m.Max, 1e-9))}
}
