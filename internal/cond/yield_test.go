package cond_test

import "runtime"

func runtimeYield() { runtime.Gosched() }
