// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// v3.16 fs/proc/base.c oom_score_adj_write: a value outside
// OOM_SCORE_ADJ_MIN..OOM_SCORE_ADJ_MAX (-1000..1000) is EINVAL and leaves
// the setting alone; a root writer may set any value inside, lower or
// higher; fork's copy_signal gives the child the parent's value.
func TestOOMScoreAdjWrite(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MemBytes = 64 << 20
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	var got []string
	var childAdj int
	m.Spawn("p", func(p *Process) {
		for _, v := range []int64{300, -1001, 1001, 1 << 40, -1000, 1000, 0, -1000} {
			err := p.SetOOMScoreAdj(v)
			got = append(got, fmt.Sprintf("%d:%v/%d", v, err, m.MM.OOMScoreAdj(p.Task)))
		}
		c, err := p.Fork("c", func(c *Process) { childAdj = m.MM.OOMScoreAdj(c.Task) })
		if err != nil {
			t.Error(err)
		}
		_ = c
	})
	finish(t, m)
	want := "300:<nil>/300 -1001:EINVAL/300 1001:EINVAL/300 1099511627776:EINVAL/300 -1000:<nil>/-1000 1000:<nil>/1000 0:<nil>/0 -1000:<nil>/-1000"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("writes:\n got %s\nwant %s", s, want)
	}
	if childAdj != -1000 {
		t.Errorf("child's oom_score_adj %d, want the parent's -1000", childAdj)
	}
}

// oomRun boots a 64M machine without swap and runs three processes: big
// and small fault in their memory and wait; then grow faults in more than
// is left. adj gives each process's oom_score_adj (written first).
func oomRun(t *testing.T, adj map[string]int64) (log string, pids map[string]int) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MemBytes = 64 << 20
	cfg.CPUs = 1
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	pids = map[string]int{}
	for _, pr := range []struct {
		name  string
		size  uint64
		delay int64
	}{{"big", 20 << 20, 0}, {"small", 16 << 20, 0}, {"grow", 24 << 20, 1e6}} {
		pr := pr
		p := m.Spawn(pr.name, func(p *Process) {
			if err := p.SetOOMScoreAdj(adj[pr.name]); err != nil {
				t.Error(err)
			}
			p.Sleep(pr.delay)
			addr, err := p.Mmap(pr.size, true)
			if err != nil {
				return
			}
			p.Touch(addr, pr.size, 0, true, 7)
			p.Sleep(1e9)
		})
		pids[pr.name] = p.Task.PID
	}
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	return m.Log.String(), pids
}

// v3.16 mm/oom_kill.c oom_badness: a task with oom_score_adj
// OOM_SCORE_ADJ_MIN scores 0 and select_bad_process never picks it: with
// the largest process at -1000, the next largest is killed instead.
func TestOOMScoreAdjMinProtects(t *testing.T) {
	log, pids := oomRun(t, nil)
	if want := fmt.Sprintf("Killed process %d (big)", pids["big"]); !strings.Contains(log, want) {
		t.Fatalf("without oom_score_adj the largest, big, is not the one killed:\n%s", log)
	}
	log, pids = oomRun(t, map[string]int64{"big": -1000})
	if strings.Contains(log, "(big)") && regexp.MustCompile(`Kill(ed)? process \d+ \(big\)`).MatchString(log) {
		t.Fatalf("big has oom_score_adj -1000 and was killed:\n%s", log)
	}
	if want := fmt.Sprintf("Killed process %d (small)", pids["small"]); !strings.Contains(log, want) {
		t.Fatalf("small, the largest killable process, was not killed:\n%s", log)
	}
	row := regexp.MustCompile(fmt.Sprintf(`\[%5d\]     0 %5d +\d+ +\d+ +\d+ +\d+ +-1000 big\n`, pids["big"], pids["big"]))
	if !row.MatchString(log) {
		t.Fatalf("dump_tasks does not show big's oom_score_adj -1000:\n%s", log)
	}
}

// v3.16 mm/oom_kill.c select_bad_process picks the highest oom_badness:
// rss + nr_ptes + swapents, less 3% for root, plus oom_score_adj *
// totalpages/1000; it reports that score * 1000 / totalpages. With
// oom_score_adj 1000 the smallest process outscores the others.
func TestOOMKillPicksHighestScore(t *testing.T) {
	log, pids := oomRun(t, map[string]int64{"small": 1000})
	want := fmt.Sprintf("Killed process %d (small)", pids["small"])
	if !strings.Contains(log, want) {
		t.Fatalf("small (oom_score_adj 1000) was not killed:\n%s", log)
	}
	// The score from the task table row and the totals show_mem printed.
	row := regexp.MustCompile(fmt.Sprintf(`\[%5d\]     0 %5d +(\d+) +(\d+) +(\d+) +(\d+) +1000 small\n`, pids["small"], pids["small"])).FindStringSubmatch(log)
	if row == nil {
		t.Fatalf("no task table row for small:\n%s", log)
	}
	rss, _ := strconv.ParseInt(row[2], 10, 64)
	ptes, _ := strconv.ParseInt(row[3], 10, 64)
	swap, _ := strconv.ParseInt(row[4], 10, 64)
	var managed int64
	for _, m := range regexp.MustCompile(` managed:(\d+)kB `).FindAllStringSubmatch(log, -1) {
		kb, _ := strconv.ParseInt(m[1], 10, 64)
		managed += kb / 4
	}
	var totalSwap int64
	fmt.Sscanf(log[strings.Index(log, "Total swap = "):], "Total swap = %dkB", &totalSwap)
	totalpages := managed + totalSwap/4
	points := rss + ptes + swap
	points -= points * 3 / 100
	points += 1000 * (totalpages / 1000)
	score := points * 1000 / totalpages
	if want := fmt.Sprintf("Out of memory: Kill process %d (small) score %d or sacrifice child\n", pids["small"], score); !strings.Contains(log, want) {
		t.Fatalf("want %q (totalpages %d, points %d):\n%s", want, totalpages, points, log)
	}
}
