package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var _ = signal.Notify
var _ = syscall.SIGTERM
var _ sync.Mutex
var _ = strings.Contains

func work(d time.Duration) { time.Sleep(time.Duration(rand.Int63n(int64(d)) + 1)) }

// signalCtx: cancelled after a random delay (the environment's signal).
func signalCtx(max time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(time.Duration(rand.Int63n(int64(max)))); cancel() }()
	return ctx, cancel
}

func runMany(name string, n int, body func() string) {
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		rand.Seed(int64(i))
		before := runtime.NumGoroutine()
		res := make(chan string, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					res <- fmt.Sprint("panic: ", r)
				}
			}()
			res <- body()
		}()
		select {
		case r := <-res:
			time.Sleep(20 * time.Millisecond)
			after := runtime.NumGoroutine()
			if after > before {
				r += fmt.Sprintf(" leak(%d)", after-before)
				buf := make([]byte, 1<<16)
				nb := runtime.Stack(buf, true)
				_ = nb
			}
			counts[r]++
		case <-time.After(500 * time.Millisecond):
			counts["stuck (deadlock or no-exit)"]++
			fmt.Println(name, "stuck; stopping")
			fmt.Println(name, counts)
			os.Exit(0)
		}
	}
	fmt.Println(name, "GOMAXPROCS", runtime.GOMAXPROCS(0), counts)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func randn(n int) int { return rand.Intn(n) }
