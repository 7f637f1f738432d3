// SPDX-License-Identifier: GPL-2.0-only

package mm

import "testing"

// TestZeroSegmentToken checks the content-token rules for zeroing: zeroes
// over a page of zeroes leave it 0; zeroing the same range twice is
// zeroing it once (truncate_pagecache and block_truncate_page both zero a
// truncated file's last page, in either order, with migration between
// them); zeroing changes a page with data; different ranges differ.
//
// Model: zeroing a smaller part of a range already zeroed is taken as a
// change (the token does not know which bytes are zero).
func TestZeroSegmentToken(t *testing.T) {
	if ZeroSegmentToken(0, 100, PAGE_SIZE) != 0 {
		t.Error("zeroing a page of zeroes changed it")
	}
	data := MixToken(0, 7)
	once := ZeroSegmentToken(data, 100, PAGE_SIZE)
	if once == data || once == 0 {
		t.Errorf("zeroing a tail of a page with data gave %#x", once)
	}
	if twice := ZeroSegmentToken(once, 100, PAGE_SIZE); twice != once {
		t.Errorf("zeroing the same tail twice: %#x, once: %#x", twice, once)
	}
	if ZeroSegmentToken(data, 200, PAGE_SIZE) == once {
		t.Error("two ranges zeroed give one token")
	}
}
