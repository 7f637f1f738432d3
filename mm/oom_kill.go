// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/klog"

// mm/oom_kill.c: the zonelist OOM lock and out_of_memory.

// tryToSetZonelistOom is try_set_zonelist_oom(): only one OOM kill per
// zonelist at a time; set ZONE_OOM_LOCKED on every zone of it.
func (s *System) tryToSetZonelistOom(zl *zonelist) bool {
	for _, z := range zl.zones {
		if z.oomLocked {
			return false
		}
	}
	for _, z := range zl.zones {
		z.oomLocked = true
	}
	return true
}

// clearZonelistOom is clear_zonelist_oom().
func (s *System) clearZonelistOom(zl *zonelist) {
	for _, z := range zl.zones {
		z.oomLocked = false
	}
}

// outOfMemory is out_of_memory(): choose and kill the task whose death frees
// the most memory.
//
// Model: until user address spaces exist (issue 3) no task owns memory the
// OOM killer could free, so select_bad_process finds nothing and v3.16
// panics with "Out of memory and no killable processes...". Issue 4 adds
// badness and the kill.
func (s *System) outOfMemory(zl *zonelist, gfp GFP, order uint) {
	s.logf(klog.KernWarning, "%s invoked oom-killer: gfp_mask=0x%x, order=%d, oom_score_adj=0\n",
		s.current().Comm, uint32(gfp), order)
	s.dumpStack(1)
	if s.log != nil {
		s.log.Panic("Out of memory and no killable processes...\n")
	}
	panic("Out of memory and no killable processes...")
}
