// SPDX-License-Identifier: GPL-2.0-only

//go:build !linux

package main

import (
	"errors"
	"time"
)

func benchHost(size uint64) (time.Duration, uint64, error) {
	return 0, 0, errors.New("the host side of the benchmark needs Linux")
}
