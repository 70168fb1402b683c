package bench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQuantile(t *testing.T) {
	ms := func(xs ...int) Latencies {
		var l Latencies
		for _, x := range xs {
			l = append(l, time.Duration(x)*time.Millisecond)
		}
		return l
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted
	}
	cases := []struct {
		name      string
		l         Latencies
		median    time.Duration
		p99       time.Duration
		formatted string
	}{
		{"empty", nil, 0, 0, "—"},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, "7.00 ms / 7.00 ms"},
		{"odd", ms(3, 1, 2), 2 * time.Millisecond, 3 * time.Millisecond, "2.00 ms / 3.00 ms"},
		{"hundred", ms(hundred...), 50 * time.Millisecond, 99 * time.Millisecond, "50.0 ms / 99.0 ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.median, c.l.Median())
			require.Equal(t, c.p99, c.l.P99())
			require.Equal(t, c.formatted, c.l.String())
		})
	}
}

func TestFormats(t *testing.T) {
	require.Equal(t, "0.250 ms", Millis(250*time.Microsecond))
	require.Equal(t, "123 ms", Millis(123*time.Millisecond))
	require.Equal(t, "1.07×", Ratio(1.07, 1))
	require.Equal(t, "0.0034×", Ratio(3.4, 1000))
	require.Equal(t, "—", Ratio(1, 0))
	md := Table{Title: "t", Header: []string{"cores: 2"}, Rows: []Row{{ID: "1", Figure: "a | b", Met: "yes"}}}.Markdown()
	require.Contains(t, md, "| 1 | a \\| b | — | — | — | — | — | yes |")
	require.True(t, strings.HasPrefix(md, "# t\n\n- cores: 2\n"))
}

func TestBalancedOrder(t *testing.T) {
	require.Equal(t, []int{0, 1, 3, 2}, BalancedOrder(4, 0))
	require.Equal(t, BalancedOrder(4, 1), BalancedOrder(4, 5), "rows repeat with the cycle")
	require.Equal(t, BalancedOrder(4, 3), BalancedOrder(4, -1))
	require.Nil(t, BalancedOrder(0, 3))
	require.Equal(t, []int{0}, BalancedOrder(1, 7))
	for n := 2; n <= 7; n++ {
		cycle := n
		if n%2 == 1 {
			cycle = 2 * n
		}
		after := map[[2]int]int{}
		for row := range cycle {
			o := BalancedOrder(n, row)
			seen := append([]int(nil), o...)
			slices.Sort(seen)
			for i := range n {
				require.Equal(t, i, seen[i], "n=%d row %d is not an order of 0..n-1: %v", n, row, o)
			}
			for j := 1; j < n; j++ {
				after[[2]int{o[j-1], o[j]}]++
			}
		}
		// Every ordered pair of different targets, equally often: once a
		// cycle for an even n, twice for an odd n.
		want := cycle / n
		require.Len(t, after, n*(n-1), "n=%d: some target never follows another", n)
		for pair, count := range after {
			require.Equal(t, want, count, "n=%d: %d follows %d %d times", n, pair[1], pair[0], count)
		}
	}
}
