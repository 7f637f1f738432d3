// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"strings"
	"testing"
)

// vmstatValue returns one /proc/vmstat item.
func vmstatValue(t *testing.T, s *System, name string) uint64 {
	t.Helper()
	text, err := s.ReadProc("/proc/vmstat")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text, "\n") {
		var v uint64
		if n, _ := fmt.Sscanf(line, name+" %d", &v); n == 1 && strings.HasPrefix(line, name+" ") {
			return v
		}
	}
	t.Fatalf("/proc/vmstat has no %s", name)
	return 0
}

// TestVmstatDirtyThresholds checks v3.16 mm/vmstat.c vmstat_start: after
// the zone items /proc/vmstat prints nr_dirty_threshold and
// nr_dirty_background_threshold as global_dirty_limits computes them for
// the reader: dirty_ratio (20%) and dirty_background_ratio (10%) of the
// dirtyable memory (free pages above dirty_balance_reserve plus the file
// LRU, plus 1), or vm.dirty_bytes / dirty_background_bytes in pages
// rounded up, the background one halved to below the other.
func TestVmstatDirtyThresholds(t *testing.T) {
	s := bootSmall(t)
	free := uint64(s.GlobalPageState(NR_FREE_PAGES))
	file := uint64(s.GlobalPageState(NR_INACTIVE_FILE) + s.GlobalPageState(NR_ACTIVE_FILE))
	dirtyable := free - min(free, s.dirtyBalanceReserve) + file + 1
	if got, want := vmstatValue(t, s, "nr_dirty_threshold"), 20*dirtyable/100; got != want || got == 0 {
		t.Errorf("nr_dirty_threshold %d, want 20%% of %d dirtyable pages = %d", got, dirtyable, want)
	}
	if got, want := vmstatValue(t, s, "nr_dirty_background_threshold"), 10*dirtyable/100; got != want || got == 0 {
		t.Errorf("nr_dirty_background_threshold %d, want 10%% of %d dirtyable pages = %d", got, dirtyable, want)
	}
	// The 256 MiB machine at boot: 61321 free pages, 965 reserved for
	// dirty balance, an empty file LRU: (61321-965+1)*20/100.
	if got := vmstatValue(t, s, "nr_dirty_threshold"); got != 12071 {
		t.Errorf("nr_dirty_threshold %d at boot (free %d, reserve %d)", got, free, s.dirtyBalanceReserve)
	}

	s.Dirty().DirtyBytes = 1<<20 + 1
	s.Dirty().DirtyRatio = 0
	if got := vmstatValue(t, s, "nr_dirty_threshold"); got != 257 {
		t.Errorf("vm.dirty_bytes=1M+1: nr_dirty_threshold %d, want DIV_ROUND_UP = 257 pages", got)
	}
	if got := vmstatValue(t, s, "nr_dirty_background_threshold"); got != 128 {
		t.Errorf("vm.dirty_bytes=1M+1: nr_dirty_background_threshold %d, want 257/2 = 128 (background >= dirty)", got)
	}
}

// TestBdiDirtyLimitShare checks v3.16 bdi_dirty_limit: a bdi's share of
// the dirty threshold is its share of writeout completions
// (__bdi_writeout_inc from test_clear_page_writeback, counted in the
// writeout_completions flex proportions), within min_ratio and max_ratio;
// writeout_period halves every count each VM_COMPLETIONS_PERIOD_LEN
// (3 s), so old completions weigh less. The counts are percpu_counters
// (lib/flex_proportions.c): the fraction is read from the folded counts
// (fprop_fraction_percpu), each bdi's folded at PROP_BATCH = 16, the
// global one at percpu_counter_batch = 32, on 2 CPUs; here every event
// is counted on CPU 0.
func TestBdiDirtyLimitShare(t *testing.T) {
	s := bootSmall(t)
	a, b := &BackingDevInfo{Name: "sda"}, &BackingDevInfo{Name: "sdb"}
	s.RegisterBDI(a)
	s.RegisterBDI(b)
	if got := s.BdiDirtyLimit(a, 1000); got != 0 {
		t.Errorf("a bdi with no completions gets %d of 1000 pages, want 0", got)
	}
	for i := 0; i < 300; i++ {
		s.__bdiWriteoutInc(a)
	}
	for i := 0; i < 100; i++ {
		s.__bdiWriteoutInc(b)
	}
	// Global events start at 1. Folded: a 288 of 300 (12 in CPU 0's
	// delta), b 96 of 100 (4), global 385 of 401 (16): 288/385 and
	// 96/385 of 1000.
	if ga, gb := s.BdiDirtyLimit(a, 1000), s.BdiDirtyLimit(b, 1000); ga != 748 || gb != 249 {
		t.Errorf("shares of 1000 pages after 300 and 100 completions: %d and %d, want 748 and 249", ga, gb)
	}
	if a.BdiStatSum(BDI_WRITTEN) != 300 {
		t.Errorf("BDI_WRITTEN %d, want 300", a.BdiStatSum(BDI_WRITTEN))
	}
	// A new period (fprop_new_period): the exact global sum 401 loses
	// 201, which folds CPU 0's delta: 200. Each bdi halves when next
	// looked at (fprop_reflect_period_percpu), from its folded count.
	if s.writeoutPeriodTime != VM_COMPLETIONS_PERIOD_LEN {
		t.Errorf("writeout_period_time %d, want the first completion's jiffies + %d", s.writeoutPeriodTime, VM_COMPLETIONS_PERIOD_LEN)
	}
	// The timer, as if it fired on time (jiffies == writeout_period_time;
	// this System has no clock).
	s.writeoutPeriodTime = s.jiffies()
	s.writeoutPeriod()
	if s.writeoutPeriodTime != VM_COMPLETIONS_PERIOD_LEN {
		t.Errorf("writeout_period did not re-arm a period later: %d", s.writeoutPeriodTime)
	}
	for i := 0; i < 100; i++ {
		s.__bdiWriteoutInc(b)
	}
	// b: 96 loses 48, which folds its delta 4: 52, then 100 more: 148
	// (delta 4); global 200 + 100: 296 (delta 4). a: 288 loses 144,
	// which folds its delta 12: 156. Exact counts would give 150/300 and
	// 150/300 = 500 each.
	if ga, gb := s.BdiDirtyLimit(a, 1000), s.BdiDirtyLimit(b, 1000); ga != 527 || gb != 500 {
		t.Errorf("after a period and 100 more completions on b: %d and %d, want 156/296 and 148/296 of 1000 = 527 and 500", ga, gb)
	}
	// min_ratio reserves a share; max_ratio caps it.
	if err := s.BdiSetMinRatio(a, 10); err != nil {
		t.Fatal(err)
	}
	if got := s.BdiDirtyLimit(a, 1000); got != 900*156/296+100 {
		t.Errorf("min_ratio 10: %d, want 90%% of 1000 shared by completions plus 10%% = %d", got, 900*156/296+100)
	}
	if err := s.BdiSetMinRatio(b, 95); err == nil {
		t.Errorf("min_ratios summing to 105%% accepted")
	}
	if err := s.BdiSetMaxRatio(b, 20); err != nil {
		t.Fatal(err)
	}
	if got := s.BdiDirtyLimit(b, 1000); got != 200 {
		t.Errorf("max_ratio 20: %d, want 200", got)
	}
}

// TestPosRatioAndPauses checks v3.16's dirty position control and pause
// bounds: pos_ratio is 2.0 at the freerun ceiling, 1.0 at the setpoint and
// 0 at the limit (pos_ratio_polynom); bdi_max_pause is bdi_dirty over the
// bandwidth per 128 jiffies, plus one, at most 200 ms; dirty_poll_interval
// is 1 << (ilog2(thresh - dirty) / 2).
func TestPosRatioAndPauses(t *testing.T) {
	const one = 1 << RATELIMIT_CALC_SHIFT
	// x = (setpoint - dirty)<<10 / (limit - setpoint + 1) = ±1013, and
	// 1 + x^3 in fixed point: 1024 + 991 or 1024 - 992 (arithmetic shift).
	if got := posRatioPolynom(900, 800, 1000); got != 2015 {
		t.Errorf("pos_ratio at the freerun ceiling %d, want about 2.0 (2015)", got)
	}
	if got := posRatioPolynom(900, 900, 1000); got != one {
		t.Errorf("pos_ratio at the setpoint %d, want 1.0", got)
	}
	if got := posRatioPolynom(900, 1000, 1000); got != 32 {
		t.Errorf("pos_ratio at the limit %d, want about 0 (32)", got)
	}
	if got := posRatioPolynom(900, 5000, 1000); got != 0 {
		t.Errorf("pos_ratio far above the limit %d, want 0 (clamped)", got)
	}
	b := &BackingDevInfo{avgWriteBandwidth: INIT_BW, dirtyRatelimit: INIT_BW}
	if got := bdiMaxPause(b, 1000); got != 1000/(1+INIT_BW/128)+1 {
		t.Errorf("bdi_max_pause(1000 pages at 100 MB/s) = %d", got)
	}
	if got := bdiMaxPause(b, 1<<20); got != MAX_PAUSE {
		t.Errorf("bdi_max_pause of a huge backlog = %d, want MAX_PAUSE %d", got, MAX_PAUSE)
	}
	for _, c := range []struct {
		dirty, thresh uint64
		want          int
	}{{0, 12000, 64}, {100, 1124, 32}, {1000, 1000, 1}, {1000, 1003, 1}} {
		if got := dirtyPollInterval(c.dirty, c.thresh); got != c.want {
			t.Errorf("dirty_poll_interval(%d, %d) = %d, want %d", c.dirty, c.thresh, got, c.want)
		}
	}
	// bdi_min_pause: a 10 ms target pause at equal rates; the task may
	// then dirty dirty_ratelimit * 10 / 1024 pages before the next call.
	minPause, pages := bdiMinPause(b, MAX_PAUSE, INIT_BW, INIT_BW)
	if pages != INIT_BW*10/1024 || minPause != 1+10/2 {
		t.Errorf("bdi_min_pause at 100 MB/s: min_pause %d, nr_dirtied_pause %d; want 6 and %d", minPause, pages, INIT_BW*10/1024)
	}
}

// TestBdiStatPercpu checks v3.16 include/linux/backing-dev.h and
// lib/percpu_counter.c: each bdi_stat[] item is a percpu_counter with
// batch BDI_STAT_BATCH = 8*(1+ilog2(nr_cpu_ids)) (16 on 2 CPUs), changed
// on the CPU the code runs on (__add_bdi_stat); a CPU's delta is folded
// into the count only once it reaches the batch. bdi_stat reads the
// folded count alone, so it lags by up to 15 pages per CPU
// (bdi_stat_error = 32 in all), while bdi_stat_sum adds every CPU's
// delta. bdi_dirty_limits reads bdi_stat_sum while the bdi's threshold is
// below 2*bdi_stat_error, and bdi_stat above it.
func TestBdiStatPercpu(t *testing.T) {
	fx := newReclaimFixture(t, 40, false)
	s, bdi := fx.s, fx.m.BDI
	if s.bdiStatBatch() != 16 || s.bdiStatError() != 32 {
		t.Fatalf("BDI_STAT_BATCH %d, bdi_stat_error %d on 2 CPUs; want 16 and 32", s.bdiStatBatch(), s.bdiStatError())
	}
	dirtyOn := func(cpu int, pfns []uint64) {
		defer s.onCPU(cpu)()
		for _, pfn := range pfns {
			s.SetPageDirty(pfn)
		}
	}
	check := func(when string, stat, sum int64) {
		t.Helper()
		if got, gotSum := bdi.BdiStat(BDI_RECLAIMABLE), bdi.BdiStatSum(BDI_RECLAIMABLE); got != stat || gotSum != sum {
			t.Errorf("%s: bdi_stat %d, bdi_stat_sum %d; want %d and %d", when, got, gotSum, stat, sum)
		}
	}
	dirtyOn(0, fx.pfns[:15])
	check("15 pages dirtied on CPU 0", 0, 15)
	dirtyOn(1, fx.pfns[15:30])
	check("and 15 on CPU 1", 0, 30)
	if got := bdi.BdiStat(BDI_DIRTIED); got != 0 {
		t.Errorf("BDI_DIRTIED reads %d, want 0 (both deltas below the batch)", got)
	}
	dirtyOn(0, fx.pfns[30:31])
	check("a 16th on CPU 0 folds its delta", 16, 31)

	// No completions: bdi_thresh 0 < 2*bdi_stat_error, so the exact sum.
	if d, thresh := s.bdiDirtyLimits(bdi, 1000); thresh != 0 || d != 31 {
		t.Errorf("bdi_dirty_limits with no share: bdi_dirty %d, bdi_thresh %d; want bdi_stat_sum's 31 and 0", d, thresh)
	}
	// The whole share: bdi_thresh 1000 >= 64, so bdi_stat's folded 16.
	for i := 0; i < 100; i++ {
		s.__bdiWriteoutInc(bdi)
	}
	if d, thresh := s.bdiDirtyLimits(bdi, 1000); thresh < 64 || d != 16 {
		t.Errorf("bdi_dirty_limits with the whole share: bdi_dirty %d, bdi_thresh %d; want bdi_stat's 16 and at least 64", d, thresh)
	}
	// 100 completions on CPU 0: six folds of 16, 4 left in the delta;
	// __bdi_update_bandwidth reads percpu_counter_read.
	if got, sum := bdi.bdiStatRead(BDI_WRITTEN), bdi.BdiStatSum(BDI_WRITTEN); got != 96 || sum != 100 {
		t.Errorf("BDI_WRITTEN reads %d, sums %d; want 96 and 100", got, sum)
	}

	// Cleaning on the other CPU counts down there: CPU 1's delta goes
	// from 15 to 0 without a fold, then to -15 and folds at -16.
	cleanOn := func(cpu int, pfns []uint64) {
		defer s.onCPU(cpu)()
		for _, pfn := range pfns {
			s.LockPage(pfn)
			s.ClearPageDirtyForIO(pfn)
			s.unlockPage(pfn)
		}
	}
	cleanOn(1, fx.pfns[:15])
	check("15 cleaned on CPU 1", 16, 16)
	cleanOn(1, fx.pfns[15:31])
	check("all 31 cleaned on CPU 1", 0, 0)
}
