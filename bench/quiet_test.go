package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Bounds of quietWait.
const (
	quietSample = 200 * time.Millisecond
	quietShare  = 10 // % of a core in one sample
	quietMax    = 15 * time.Second
)

// quietWait holds row 5's runs until the servers are quiet: MinIO's
// scanner (about 10 s at about 40% of a core, about once a minute in each
// MinIO, nearly at the same moments) and the add-on's background loops
// otherwise fall on some runs and not on others, and a 0.4 s run measures
// them more than the target.
type quietWait struct {
	b      *testing.B
	pids   map[string]int
	runs   int
	waited int           // runs that waited
	total  time.Duration // time waited
	capped int           // waits that reached quietMax
	busy   map[string]int
}

func newQuietWait(b *testing.B, pids map[string]int) *quietWait {
	return &quietWait{b: b, pids: pids, busy: map[string]int{}}
}

// wait returns once one sample saw every process under quietShare, or
// after quietMax.
func (q *quietWait) wait() {
	q.runs++
	began := time.Now()
	for {
		cpu0 := map[string]time.Duration{}
		for name, pid := range q.pids {
			cpu0[name] = mustCPU(q.b, pid)
		}
		t0 := time.Now()
		time.Sleep(quietSample)
		window := time.Since(t0)
		var loud []string
		for name, pid := range q.pids {
			if 100*(mustCPU(q.b, pid)-cpu0[name]) > quietShare*window {
				loud = append(loud, name)
			}
		}
		if len(loud) == 0 {
			break
		}
		for _, name := range loud {
			q.busy[name]++
		}
		if time.Since(began) >= quietMax {
			q.capped++
			break
		}
	}
	// The sample itself is not a wait: a quiet machine costs one sample.
	if d := time.Since(began) - quietSample; d > quietSample/2 {
		q.waited++
		q.total += d
	}
}

// String says how often the runs waited, how long, and for whom.
func (q *quietWait) String() string {
	names := make([]string, 0, len(q.busy))
	for name := range q.busy {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return q.busy[b] - q.busy[a] })
	var who []string
	for _, name := range names {
		who = append(who, fmt.Sprintf("%s %d", name, q.busy[name]))
	}
	s := fmt.Sprintf("%d of %d runs waited, %s in all; %d waits reached %s", q.waited, q.runs, q.total.Round(time.Second), q.capped, quietMax)
	if len(who) > 0 {
		s += "; samples over the bound: " + strings.Join(who, ", ")
	}
	return s
}
