// SPDX-License-Identifier: GPL-2.0-only

package fs_test

import (
	"testing"

	"pagesim/fs"
	"pagesim/mm"
	"pagesim/sim"
)

// TestTryToFreeBuffersCancelsDirtyPage checks v3.16 fs/buffer.c
// try_to_free_buffers: once the buffers of a page with a mapping are
// dropped (none dirty or locked), the page is cleaned too
// (cancel_dirty_page: PG_dirty and NR_FILE_DIRTY), as when a filesystem
// wrote the buffers by hand; a dirty buffer keeps both.
func TestTryToFreeBuffersCancelsDirtyPage(t *testing.T) {
	m := boot(t)
	m.run(t, func(task *sim.Task) {
		file, _ := m.f.Open("/xfs/a", true)
		if _, err := m.f.Write(file, 0, 2*mm.PAGE_SIZE, 3, nil); err != nil {
			t.Fatal(err)
		}
		kept, freed := m.pageAt(t, file, 0), m.pageAt(t, file, 1)
		dirty := m.s.GlobalPageStateSnapshot(mm.NR_FILE_DIRTY)
		m.s.LockPage(kept)
		if m.f.TryToFreeBuffers(kept) || !m.s.Page(kept).PageDirty() {
			t.Error("a page with a dirty buffer lost it")
		}
		m.s.UnlockPage(kept)
		// The buffer written by hand: clean, the page still dirty.
		m.f.PageBuffers(freed).Clear(fs.BH_Dirty)
		m.s.LockPage(freed)
		if !m.f.TryToFreeBuffers(freed) {
			t.Error("clean buffer not dropped")
		}
		m.s.UnlockPage(freed)
		p := m.s.Page(freed)
		if p.PageDirty() || p.Test(mm.PG_private) {
			t.Errorf("after try_to_free_buffers: dirty %v private %v", p.PageDirty(), p.Test(mm.PG_private))
		}
		if got := m.s.GlobalPageStateSnapshot(mm.NR_FILE_DIRTY); got != dirty-1 {
			t.Errorf("NR_FILE_DIRTY %d, want %d", got, dirty-1)
		}
		// cancel_dirty_page leaves the radix tree's DIRTY tag, which
		// v3.16 allows on a clean page: the invariants hold as it is.
	})
	m.check(t)
}

// TestWriteSetsCurrentBackingDevInfo checks v3.16 mm/filemap.c
// __generic_file_write_iter (and fs/xfs/xfs_file.c
// xfs_file_buffered_aio_write): current->backing_dev_info is the file's
// device while the write copies, and NULL once it returns.
func TestWriteSetsCurrentBackingDevInfo(t *testing.T) {
	m := boot(t)
	for _, mp := range []string{"/ext4", "/xfs"} {
		m.run(t, func(task *sim.Task) {
			file, _ := m.f.Open(mp+"/b", true)
			var during *mm.BackingDevInfo
			m.f.Write(file, 0, mm.PAGE_SIZE, 1, func(uint64, int64, int64) { during = m.s.CurrentBackingDevInfo() })
			if during != file.Inode.Mapping.BDI || m.s.CurrentBackingDevInfo() != nil {
				t.Errorf("%s: backing_dev_info during the write %v (want the file's), after %v", mp, during, m.s.CurrentBackingDevInfo())
			}
		})
	}
}
