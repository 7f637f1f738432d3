// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"strconv"
	"strings"

	"pagesim/kernel"
)

// readVmstat reads the machine's /proc/vmstat into a map; nil if the file
// cannot be read.
func readVmstat(m *kernel.Machine) map[string]int64 {
	l := readVmstatList(m)
	if l == nil {
		return nil
	}
	v := map[string]int64{}
	for _, kv := range l {
		v[kv.Name] = kv.Delta
	}
	return v
}

// readVmstatList reads the machine's /proc/vmstat in its order (each
// value in Delta); nil if the file cannot be read.
func readVmstatList(m *kernel.Machine) []vmDelta {
	text, err := m.Proc("/proc/vmstat")
	if err != nil {
		return nil
	}
	v := []vmDelta{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		v = append(v, vmDelta{f[0], n})
	}
	return v
}
