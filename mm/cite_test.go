// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"strings"
	"testing"

	"pagesim/klog"
)

// TestCitedChecksAreV316s checks two checks whose kind the model had wrong:
// v3.16 mm/filemap.c delete_from_page_cache's BUG_ON(!PageLocked(page))
// (line 230) and mm/rmap.c rmap_walk_file's VM_BUG_ON(!PageLocked(page))
// (line 1689, before the page->mapping test) are plain BUGs, at their own
// lines, that dump no page.
func TestCitedChecksAreV316s(t *testing.T) {
	for _, c := range []struct {
		name, want string
		fn         func(s *System, pfn uint64)
	}{
		{"delete_from_page_cache", "kernel BUG at mm/filemap.c:230!", func(s *System, pfn uint64) { s.DeleteFromPageCache(pfn) }},
		{"rmap_walk_file", "kernel BUG at mm/rmap.c:1689!", func(s *System, pfn uint64) { s.rmapWalkFile(pfn, nil, nil, nil) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			sm := bootSwap(t, 0)
			s := sm.s
			pfn := ^uint64(0)
			for i := range s.pages {
				if !s.pages[i].PageLocked() && !s.pages[i].PageReserved() {
					pfn = uint64(i)
					break
				}
			}
			var oops *klog.Oops
			func() {
				defer func() { oops, _ = recover().(*klog.Oops) }()
				c.fn(s, pfn) // an unlocked page outside the page cache
			}()
			log := sm.log.String()
			if oops == nil || oops.Msg != c.want || !strings.Contains(log, c.want) {
				t.Fatalf("oops %v, log:\n%s\nwant %q", oops, log, c.want)
			}
			if strings.Contains(log, "page dumped because") {
				t.Errorf("a BUG_ON/VM_BUG_ON dumped the page:\n%s", log)
			}
		})
	}
}
