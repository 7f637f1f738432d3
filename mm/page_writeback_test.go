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
