package history

import (
	"fmt"
	"math"
	"time"
)

// ForecastWindow is how far back the rate is taken: "at the last 7 days'
// rate".
const ForecastWindow = 7 * 24 * time.Hour

// MinForecastSpan is the least history a forecast is made from: a rate
// over a shorter span says nothing.
const MinForecastSpan = time.Minute

// Outlook says what a forecast found.
type Outlook string

// Outlooks.
const (
	// NotEnoughHistory: less than MinForecastSpan of samples.
	NotEnoughHistory Outlook = "not_enough_history"
	// NotGrowing: the figure did not grow over the window.
	NotGrowing Outlook = "not_growing"
	// Reaches: at the window's rate, the limit is reached in In.
	Reaches Outlook = "reaches"
	// AlreadyReached: the figure is at or over the limit.
	AlreadyReached Outlook = "already_reached"
)

// Forecast is when a growing figure reaches its limit at its recent rate.
type Forecast struct {
	Outlook Outlook
	// In is how long until the limit is reached (Reaches only).
	In time.Duration
	// Span is the history the rate was taken over (at most the window).
	Span time.Duration
	// Rate is the growth in units per second over Span.
	Rate float64
}

// Predict forecasts when current reaches limit at the average rate of the
// window before it: from the figure at the window's start (the last sample
// at or before it; the first sample when the history is shorter) to
// current. samples are oldest first; the figures are steps (a sample holds
// until the next one).
func Predict(samples []Sample, current Sample, limit uint64, window time.Duration) Forecast {
	if limit > 0 && current.Value >= limit {
		return Forecast{Outlook: AlreadyReached}
	}
	start := current.At.Add(-window)
	var from Sample
	found := false
	for _, s := range samples {
		if s.At.After(current.At) {
			break
		}
		if !found || !s.At.After(start) {
			from, found = s, true
		}
	}
	if !found {
		return Forecast{Outlook: NotEnoughHistory}
	}
	if from.At.Before(start) {
		from.At = start
	}
	span := current.At.Sub(from.At)
	if span < MinForecastSpan {
		return Forecast{Outlook: NotEnoughHistory, Span: span}
	}
	rate := (float64(current.Value) - float64(from.Value)) / span.Seconds()
	f := Forecast{Outlook: NotGrowing, Span: span, Rate: rate}
	if rate <= 0 || limit == 0 {
		return f
	}
	secs := float64(limit-current.Value) / rate
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		secs = float64(math.MaxInt64 / int64(time.Second))
	}
	f.Outlook, f.In = Reaches, time.Duration(secs)*time.Second
	return f
}

// Text says a forecast in words, for a subject, what reaching the limit
// is for it and what having reached it is: Text("the disk", "is full",
// "is full") gives "at the last 7 days' rate, the disk is full in about 23
// days".
func (f Forecast) Text(subject, reaches, reached string) string {
	switch f.Outlook {
	case AlreadyReached:
		return subject + " " + reached + " now"
	case Reaches:
		return fmt.Sprintf("at the last %s rate, %s %s in %s", spanWords(f.Span, true), subject, reaches, About(f.In))
	case NotGrowing:
		return fmt.Sprintf("%s is not growing (last %s)", subject, spanWords(f.Span, false))
	}
	return "not enough history yet for a forecast of " + subject
}

// About says a duration roughly: "about 23 days", "about 5 hours", "more
// than a year".
func About(d time.Duration) string {
	switch {
	case d > 365*day:
		return "more than a year"
	case d >= 2*day:
		return fmt.Sprintf("about %d days", int(math.Round(d.Hours()/24)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("about %d hours", int(math.Round(d.Hours())))
	case d >= 2*time.Minute:
		return fmt.Sprintf("about %d minutes", int(math.Round(d.Minutes())))
	}
	return "less than 2 minutes"
}

// spanWords names a span in days, hours or minutes, possessive for "at
// the last 7 days' rate".
func spanWords(d time.Duration, possessive bool) string {
	var n int
	var unit string
	switch {
	case d >= 2*day:
		n, unit = int(math.Round(d.Hours()/24)), "day"
	case d >= 2*time.Hour:
		n, unit = int(math.Round(d.Hours())), "hour"
	default:
		n, unit = int(math.Round(d.Minutes())), "minute"
	}
	switch {
	case n <= 1 && possessive:
		return unit + "'s"
	case n <= 1:
		return unit
	case possessive:
		return fmt.Sprintf("%d %ss'", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
