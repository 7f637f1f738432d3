// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"syscall"
	"time"
)

// benchHost maps size bytes anonymous private on the host, writes one byte
// to every 4 KiB page, and unmaps it. Transparent huge pages are turned
// off for the mapping so that every 4 KiB page takes its own fault, as in
// the model. It returns the time taken and the number of minor faults the
// host counted for this process meanwhile (getrusage), 0 if unknown.
func benchHost(size uint64) (time.Duration, uint64, error) {
	var ru0, ru1 syscall.Rusage
	rerr := syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return 0, 0, err
	}
	_ = syscall.Madvise(b, syscall.MADV_NOHUGEPAGE)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	if err := syscall.Munmap(b); err != nil {
		return 0, 0, err
	}
	d := time.Since(start)
	if rerr != nil || syscall.Getrusage(syscall.RUSAGE_SELF, &ru1) != nil || ru1.Minflt < ru0.Minflt {
		return d, 0, nil
	}
	return d, uint64(ru1.Minflt - ru0.Minflt), nil
}
