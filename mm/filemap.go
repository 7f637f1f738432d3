// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/sim"

// mm/filemap.c: the page lock. PG_locked is a sleeping lock: a task that
// finds it held waits on the page's wait queue, hashed per zone as
// page_waitqueue() does, and is woken by unlock_page.

// pageWaitqueue is page_waitqueue(): the zone's wait table, hashed by the
// page's address, so unrelated pages may share a queue as in the kernel.
func (s *System) pageWaitqueue(pfn uint64) *sim.WaitQueue {
	z := s.pfnZone(pfn)
	if z.waitTable == nil {
		z.waitTable = make([]sim.WaitQueue, waitTableHashNrEntries(z.presentPages))
	}
	h := (VMEMMAP_START + pfn*SizeofStructPage) * 0x9e37fffffffc0001 // hash_ptr's GOLDEN_RATIO_PRIME_64
	bits := uint(fls(uint64(len(z.waitTable)))) - 1
	return &z.waitTable[h>>(64-bits)]
}

// waitTableHashNrEntries is wait_table_hash_nr_entries(): one queue per
// 256 pages, a power of two between 4 and 4096.
func waitTableHashNrEntries(pages uint64) int {
	n := pages / 256
	size := uint64(1)
	for size < n {
		size <<= 1
	}
	return int(min(max(size, 4), 4096))
}

// trylockPage is trylock_page().
func (s *System) trylockPage(pfn uint64) bool { return !s.pages[pfn].testSetFlag(PG_locked) }

// lockPage is lock_page() (__lock_page): sleep on the page's wait queue
// until PG_locked can be taken.
func (s *System) lockPage(pfn uint64) {
	for !s.trylockPage(pfn) {
		t := s.current()
		if s.sched == nil || s.sched.Current() == nil {
			// Outside any task nothing else can run to unlock it.
			s.bug("include/linux/pagemap.h", 492)
		}
		t.Wait(s.pageWaitqueue(pfn))
	}
}

// unlockPage is unlock_page(): clear PG_locked and wake the waiters.
func (s *System) unlockPage(pfn uint64) {
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", srcFilemap, 745)
	p.clearFlag(PG_locked)
	s.wakeUpPage(pfn)
}

// wakeUpPage is wake_up_page(): wake every task on the page's hashed queue;
// each rechecks its own page's bit.
func (s *System) wakeUpPage(pfn uint64) {
	if z := s.pfnZone(pfn); z.waitTable != nil {
		s.pageWaitqueue(pfn).WakeAll()
	}
}

const srcFilemap = "mm/filemap.c"
