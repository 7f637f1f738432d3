// SPDX-License-Identifier: GPL-2.0-only

package mm

import "testing"

// TestMmlistAddAfterUnlistedMM checks v3.16 copy_one_pte's
// list_add(&dst_mm->mmlist, &src_mm->mmlist) for a parent that never had
// a swap entry (a migration entry copied at fork): src's empty node and
// dst form a ring of their own, off init_mm's list, so swapoff does not
// walk them and src joins no other list (try_to_unmap_one finds it
// !list_empty); once dst leaves, src is list_empty again. The model
// panicked: it looked src up on init_mm's list.
func TestMmlistAddAfterUnlistedMM(t *testing.T) {
	s := &System{}
	src, dst, other := &MMStruct{ID: 1}, &MMStruct{ID: 2}, &MMStruct{ID: 3}
	s.mmlistAdd(other, nil)
	s.mmlistAdd(dst, src)
	if !src.onMMList || !dst.onMMList || len(s.mmlist) != 1 || s.mmlist[0] != other {
		t.Fatalf("after the fork: src listed %v, dst listed %v, init_mm's list %v", src.onMMList, dst.onMMList, s.mmlist)
	}
	s.mmlistAdd(src, nil) // try_to_unmap_one: not list_empty, stays off init_mm's list
	if len(s.mmlist) != 1 {
		t.Fatalf("src joined init_mm's list from its own ring: %v", s.mmlist)
	}
	s.mmlistDel(dst)
	if src.onMMList || dst.onMMList {
		t.Fatalf("after dst's mmput: src listed %v, dst listed %v", src.onMMList, dst.onMMList)
	}
	s.mmlistAdd(src, nil)
	if len(s.mmlist) != 2 || s.mmlist[0] != src {
		t.Fatalf("src, list_empty again, did not join init_mm's list at its head: %v", s.mmlist)
	}
}
