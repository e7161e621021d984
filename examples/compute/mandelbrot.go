package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"github.com/weftgo/weft/pool"
)

const maxIter = 500

// picture is a grey-scale Mandelbrot rendering, one byte per pixel.
type picture struct {
	*image.Gray
}

func newPicture(width int) picture {
	return picture{image.NewGray(image.Rect(0, 0, width, width*3/4))}
}

func (p picture) equal(q picture) bool { return bytes.Equal(p.Pix, q.Pix) }

// row computes one row of the picture; rows are independent, which is what
// makes the computation embarrassingly parallel.
func (p picture) row(y int) {
	b := p.Bounds()
	w, h := b.Dx(), b.Dy()
	ci := -1.2 + 2.4*float64(y)/float64(h)
	for x := range w {
		cr := -2.2 + 3.2*float64(x)/float64(w)
		zr, zi := 0.0, 0.0
		n := 0
		for ; n < maxIter && zr*zr+zi*zi <= 4; n++ {
			zr, zi = zr*zr-zi*zi+cr, 2*zr*zi+ci
		}
		// The square root stretches the fast-escaping majority into
		// visible bands; points inside the set stay black.
		shade := 1.0
		if n < maxIter {
			shade = math.Sqrt(float64(n) / maxIter)
		}
		p.SetGray(x, y, color.Gray{Y: uint8(255 * (1 - shade))})
	}
}

func mandelbrotSequential(width int) picture {
	p := newPicture(width)
	for y := range p.Bounds().Dy() {
		p.row(y)
	}
	return p
}

// mandelbrotParallel renders the rows with pool.Map on a pool of the given
// size; each task writes only its own row.
func mandelbrotParallel(ctx context.Context, workers, width int) (picture, error) {
	p := newPicture(width)
	wp := pool.New(workers)
	defer wp.Shutdown(context.Background())
	rows := make([]int, p.Bounds().Dy())
	for y := range rows {
		rows[y] = y
	}
	_, err := pool.Map(ctx, wp, rows, func(_ context.Context, y int) (struct{}, error) {
		p.row(y)
		return struct{}{}, nil
	})
	return p, err
}

func (p picture) writePNG(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, p.Gray); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
