// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"pagesim/klog"
	"pagesim/klog/klogtest"
	"pagesim/mm"
	"pagesim/sim"
)

// reportReader walks the records of a report, checking each against the
// v3.16 format string (and log level) the kernel prints it with.
type reportReader struct {
	t    *testing.T
	recs []klog.Record
	i    int
}

func (r *reportReader) fail(format string, args ...any) {
	r.t.Helper()
	var b strings.Builder
	for i, rec := range r.recs {
		mark := "  "
		if i == r.i {
			mark = "> "
		}
		fmt.Fprintf(&b, "%s%d %s\n", mark, rec.Level, rec.Text)
	}
	r.t.Fatalf(format+"\nreport:\n%s", append(args, b.String())...)
}

// next checks the next record: its level and that it is what format
// prints; it returns the values.
func (r *reportReader) next(level klog.Level, format string) []any {
	r.t.Helper()
	if r.i >= len(r.recs) {
		r.fail("report ends before a line of format %q", format)
	}
	rec := r.recs[r.i]
	vals, err := klogtest.Printf(rec.Text, format)
	if err != nil {
		r.fail("line %d: %v", r.i, err)
	}
	if rec.Level != level {
		r.fail("line %d %q: level %v, want %v", r.i, rec.Text, rec.Level, level)
	}
	r.i++
	return vals
}

// want is next, with the values given (nil: any value).
func (r *reportReader) want(level klog.Level, format string, want ...any) []any {
	r.t.Helper()
	vals := r.next(level, format)
	for i, w := range want {
		if w != nil && i < len(vals) && fmt.Sprint(vals[i]) != fmt.Sprint(w) {
			r.i--
			r.fail("line %d: values %v, want %v", r.i, vals, want)
		}
	}
	return vals
}

const printkDefault = klog.DefaultMessageLoglevel // printk without a level

// dumpStackLines checks dump_stack's lines (dump_stack_print_info,
// show_stack) and returns the symbols of the call trace.
func (r *reportReader) dumpStackLines(comm, release string) []string {
	r.t.Helper()
	// print_tainted() is "Not tainted" on these machines.
	v := r.next(printkDefault, "CPU: %d PID: %d Comm: %.20s Not tainted %s %s")
	if v[2] != comm || v[3] != release || v[4] != "#1" {
		r.fail("dump_stack_print_info line %v: want comm %s, %s, #1", v, comm, release)
	}
	r.want(printkDefault, "Hardware name: %s", Hardware)
	for k := 0; k < 3; k++ {
		r.next(printkDefault, " %016lx %016lx %016lx %016lx")
	}
	r.want(printkDefault, "Call Trace:")
	var syms []string
	for r.i < len(r.recs) && strings.HasPrefix(r.recs[r.i].Text, " [<") {
		v := r.next(printkDefault, " [<%016lx>] %s")
		pS := v[1].(string)
		syms = append(syms, pS[:strings.IndexByte(pS, '+')])
		var off, size int64
		if _, err := fmt.Sscanf(pS[strings.IndexByte(pS, '+'):], "+0x%x/0x%x", &off, &size); err != nil || off >= size {
			r.fail("frame %q is not %%pS's sym+0xoff/0xsize", pS)
		}
	}
	return syms
}

// showMemLines checks show_mem's block (lib/show_mem.c, show_free_areas)
// for a machine with the given zones (node 0) and CPUs: every line's
// format, and that each zone's free blocks add up to the total printed.
func (r *reportReader) showMemLines(zones []string, cpus int) {
	r.t.Helper()
	r.want(printkDefault, "Mem-Info:")
	for _, z := range zones {
		r.want(printkDefault, "Node %d %s per-cpu:", 0, z)
		for cpu := 0; cpu < cpus; cpu++ {
			r.want(printkDefault, "CPU %4d: hi:%5d, btch:%4d usd:%4d", cpu, nil, nil, nil)
		}
	}
	r.next(printkDefault, "active_anon:%lu inactive_anon:%lu isolated_anon:%lu")
	r.next(printkDefault, " active_file:%lu inactive_file:%lu isolated_file:%lu")
	r.next(printkDefault, " unevictable:%lu dirty:%lu writeback:%lu unstable:%lu")
	r.next(printkDefault, " free:%lu slab_reclaimable:%lu slab_unreclaimable:%lu")
	r.next(printkDefault, " mapped:%lu shmem:%lu pagetables:%lu bounce:%lu")
	r.next(printkDefault, " free_cma:%lu")
	free := map[string]int64{}
	for _, z := range zones {
		v := r.next(printkDefault, "Node %d %s free:%lukB min:%lukB low:%lukB high:%lukB active_anon:%lukB inactive_anon:%lukB active_file:%lukB inactive_file:%lukB unevictable:%lukB isolated(anon):%lukB isolated(file):%lukB present:%lukB managed:%lukB mlocked:%lukB dirty:%lukB writeback:%lukB mapped:%lukB shmem:%lukB slab_reclaimable:%lukB slab_unreclaimable:%lukB kernel_stack:%lukB pagetables:%lukB unstable:%lukB bounce:%lukB free_cma:%lukB writeback_tmp:%lukB pages_scanned:%lu all_unreclaimable? %s")
		if v[1] != z || (v[29] != "yes" && v[29] != "no") {
			r.fail("zone line for %s: %v", z, v)
		}
		free[z] = v[2].(int64)
		r.next(printkDefault, "lowmem_reserve[]: %lu %lu %lu %lu")
	}
	for _, z := range zones {
		line := r.recs[r.i].Text
		prefix := "Node 0 " + z + ": "
		if !strings.HasPrefix(line, prefix) {
			r.fail("free area line of %s: %q", z, line)
		}
		var sum int64
		rest := strings.TrimPrefix(line, prefix)
		for o := 0; o < mm.MAX_ORDER; o++ {
			var n, kb int64
			if _, err := fmt.Sscanf(rest, "%d*%dkB ", &n, &kb); err != nil || kb != 4<<o {
				r.fail("order %d of %q: %v", o, line, err)
			}
			rest = rest[strings.Index(rest, "kB ")+3:]
			if n != 0 {
				end := strings.Index(rest, ") ")
				if !strings.HasPrefix(rest, "(") || end < 2 || strings.Trim(rest[1:end], "UEMR") != "" {
					r.fail("order %d of %q: no (types) after a nonzero count", o, line)
				}
				rest = rest[end+2:]
			}
			sum += n * kb
		}
		if rest != fmt.Sprintf("= %dkB", sum) {
			r.fail("free area line %q: blocks add up to %dkB", line, sum)
		}
		r.i++
	}
	r.want(klog.KernInfo, "Node %d hugepages_total=%u hugepages_free=%u hugepages_surp=%u hugepages_size=%lukB", 0, 0, 0, 0, 2048)
	r.next(printkDefault, "%ld total pagecache pages")
	r.next(printkDefault, "%lu pages in swap cache")
	r.next(printkDefault, "Swap cache stats: add %lu, delete %lu, find %lu/%lu")
	r.next(printkDefault, "Free swap  = %ldkB")
	r.next(printkDefault, "Total swap = %lukB")
	r.next(printkDefault, "%lu pages RAM")
	r.want(printkDefault, "%lu pages HighMem/MovableOnly", 0)
	r.next(printkDefault, "%lu pages reserved")
}

// recordsFrom returns the records from the first one containing start up
// to and including the first one after it containing end.
func recordsFrom(t *testing.T, m *Machine, start, end string) []klog.Record {
	t.Helper()
	recs := m.Log.Records()
	for i, r := range recs {
		if !strings.Contains(r.Text, start) {
			continue
		}
		for j := i; j < len(recs); j++ {
			if strings.Contains(recs[j].Text, end) {
				return recs[i : j+1]
			}
		}
	}
	t.Fatalf("no report from %q to %q:\n%s", start, end, m.Log.String())
	return nil
}

func recordsText(recs []klog.Record) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}

// The OOM report as v3.16 prints it, line by line from the format strings
// of mm/oom_kill.c dump_header (the "invoked oom-killer" line,
// cpuset_print_task_mems_allowed, dump_stack, show_mem, dump_tasks) and
// oom_kill_process ("Kill process ... or sacrifice child", "Killed
// process"), with their log levels; the call trace is an anonymous fault's
// on x86_64; and testdata/oom-report.golden holds the whole report.
func TestOOMReportV316(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MemBytes = 64 << 20
	cfg.CPUs = 1
	cfg.Kernel = "v3.16-rc1"
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	pids := map[string]int{}
	for _, pr := range []struct {
		name  string
		size  uint64
		adj   int64
		delay int64
	}{{"big", 20 << 20, -17, 0}, {"small", 16 << 20, 0, 0}, {"grow", 24 << 20, 5, 1e6}} {
		pr := pr
		p := m.Spawn(pr.name, func(p *Process) {
			p.SetOOMScoreAdj(pr.adj)
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
	recs := recordsFrom(t, m, "invoked oom-killer", "Killed process")
	r := &reportReader{t: t, recs: recs}
	r.want(klog.KernWarning, "%s invoked oom-killer: gfp_mask=0x%x, order=%d, oom_score_adj=%hd", "grow", int(mm.GFP_HIGHUSER_MOVABLE|mm.GFP_ZERO), 0, 5)
	r.want(klog.KernInfo, "%s cpuset=/ mems_allowed=%s", "grow", "0")
	syms := r.dumpStackLines("grow", "3.16.0-rc1-pagesim")
	wantTrace := []string{"dump_stack", "dump_header", "oom_kill_process", "out_of_memory", "__alloc_pages_nodemask",
		"alloc_pages_vma", "handle_mm_fault", "__do_page_fault", "do_page_fault", "page_fault"}
	if fmt.Sprint(syms) != fmt.Sprint(wantTrace) {
		r.fail("call trace %v, want %v", syms, wantTrace)
	}
	r.showMemLines([]string{"DMA", "DMA32"}, 1)
	r.want(klog.KernInfo, "[ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name")
	rows := map[string][]any{}
	for _, name := range []string{"big", "small", "grow"} {
		pid := pids[name]
		adj := map[string]int{"big": -17, "small": 0, "grow": 5}[name]
		rows[name] = r.want(klog.KernInfo, "[%5d] %5d %5d %8lu %8lu %7ld %8lu         %5hd %s", pid, 0, pid, nil, nil, nil, nil, adj, name)
	}
	v := r.want(klog.KernErr, "%s: Kill process %d (%s) score %d or sacrifice child", "Out of memory", pids["big"], "big", nil)
	if score := v[3].(int64); score < 1 || score > 1000 {
		r.fail("score %d is not in thousandths of memory", score)
	}
	row := rows["big"]
	r.want(klog.KernErr, "Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB",
		pids["big"], "big", row[3].(int64)*4, row[4].(int64)*4, 0)
	checkGolden(t, filepath.Join("testdata", "oom-report.golden"), recordsText(recs))
}

// v3.16 mm/page_alloc.c warn_alloc_failed from __alloc_pages_slowpath's
// nopage path: "%s: page allocation failure: order:%d, mode:0x%x",
// dump_stack, show_mem; not at all with __GFP_NOWARN; at most
// DEFAULT_RATELIMIT_BURST (10) reports per DEFAULT_RATELIMIT_INTERVAL
// (5 s) of nopage_rs, whose reset after more than 5 s says how many it
// suppressed (lib/ratelimit.c ___ratelimit: "%s: %d callbacks
// suppressed"). testdata/warn-alloc-failed.golden holds the report.
func TestWarnAllocFailedV316(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MemBytes = 64 << 20
	cfg.CPUs = 1
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	var fails, nowarnFails, lateFails int
	m.Spawn("drv", func(p *Process) {
		addr, _ := p.Mmap(40<<20, true)
		p.Touch(addr, 40<<20, 0, true, 1)
		for i := 0; i < 3; i++ {
			if _, err := p.AllocPages(-1, mm.GFP_ATOMIC|mm.GFP_NOWARN, 10); err != nil {
				nowarnFails++
			}
		}
		for i := 0; i < 14; i++ {
			if _, err := p.AllocPages(-1, mm.GFP_ATOMIC, 10); err != nil {
				fails++
			}
		}
		p.Sleep(5e9 + 1e6) // more than DEFAULT_RATELIMIT_INTERVAL
		if _, err := p.AllocPages(-1, mm.GFP_ATOMIC, 10); err != nil {
			lateFails++
		}
	})
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	if nowarnFails == 0 || fails < 11 || lateFails != 1 {
		t.Fatalf("the allocations did not fail as planned: %d with __GFP_NOWARN, %d, %d after 5 s", nowarnFails, fails, lateFails)
	}
	log := m.Log.String()
	if n := strings.Count(log, "page allocation failure"); n != 11 {
		t.Errorf("%d failure reports for %d failures, %d more 5 s later: want 10 (the burst), then 1", n, fails, lateFails)
	}
	if want := fmt.Sprintf("] warn_alloc_failed: %d callbacks suppressed\n", fails-10); !strings.Contains(log, want) {
		t.Errorf("no %q line", want)
	}
	recs := recordsFrom(t, m, "page allocation failure", "pages reserved")
	r := &reportReader{t: t, recs: recs}
	r.want(klog.KernWarning, "%s: page allocation failure: order:%d, mode:0x%x", "drv", 10, int(mm.GFP_ATOMIC))
	syms := r.dumpStackLines("drv", "3.16.0-pagesim")
	if want := []string{"dump_stack", "warn_alloc_failed", "__alloc_pages_nodemask"}; fmt.Sprint(syms) != fmt.Sprint(want) {
		r.fail("call trace %v, want %v", syms, want)
	}
	r.showMemLines([]string{"DMA", "DMA32"}, 1)
	checkGolden(t, filepath.Join("testdata", "warn-alloc-failed.golden"), recordsText(recs))
}

// TestOOMTaskListInForkOrder checks v3.16 kernel/fork.c copy_process: a
// task joins the task list (for_each_process) when it is forked, not when
// it first runs, so dump_tasks lists processes in the order they were
// created, and select_bad_process meets them in that order (which breaks
// its ties), however the scheduler then runs them.
func TestOOMTaskListInForkOrder(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		cfg := DefaultConfig()
		cfg.MemBytes = 64 << 20
		cfg.CPUs = 2
		cfg.Seed = seed
		cfg.Policy = sim.Random
		m, err := Boot(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var pids []int
		for i, size := range []uint64{8 << 20, 8 << 20, 8 << 20, 96 << 20} {
			i, size := i, size
			p := m.Spawn(fmt.Sprintf("p%d", i), func(p *Process) {
				p.Sleep(int64(i) * 1e7) // the hog (last) allocates once all are set up
				addr, err := p.Mmap(size, true)
				if err != nil {
					return
				}
				p.Touch(addr, size, 0, true, 7)
				p.Sleep(1e9)
			})
			pids = append(pids, p.Task.PID)
		}
		if res := m.Run(0); res.Failed() {
			t.Fatalf("seed %d: %+v", seed, res)
		}
		var order []int
		for _, line := range strings.Split(m.Log.String(), "\n") {
			var pid int
			if i := strings.Index(line, "] ["); i >= 0 {
				if _, err := fmt.Sscanf(line[i+2:], "[%d]", &pid); err == nil {
					order = append(order, pid)
				}
			}
			if strings.Contains(line, "Out of memory: Kill process") {
				break
			}
		}
		if fmt.Sprint(order) != fmt.Sprint(pids) {
			t.Errorf("seed %d: dump_tasks lists pids %v, want fork order %v", seed, order, pids)
		}
		m.Close()
	}
}
