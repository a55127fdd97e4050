/*
 * replay_out.c: where replay frames go: a PNG of one frame, frames played
 * headless into a software surface (tests and the benchmark), or a window.
 * The headless paths use SDL's software renderer on a surface and never
 * initialise video, so they run without a display.
 */
#include "render/rnd.h"

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render/rnd_int.h"
#include "sim/fileio.h"

#define SEEK_FRACTION 50   /* left/right move 1/50 of the run */

typedef struct Soft {
    SDL_Surface *sf;
    SDL_Renderer *ren;
    RndPaint paint;
    int ttf;                /* TTF_Init succeeded here */
} Soft;

static void soft_free(Soft *s)
{
    rnd_paint_free(&s->paint);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    if (s->sf)
        SDL_FreeSurface(s->sf);
    if (s->ttf)
        TTF_Quit();
}

static int soft_init(Soft *s, RndReplay *r, const RndFrameOpts *o, SimErr *err)
{
    *s = (Soft){0};
    s->ttf = o->font && TTF_Init() == 0;
    s->sf = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_ARGB8888);
    s->ren = s->sf ? SDL_CreateSoftwareRenderer(s->sf) : NULL;
    if (s->ren == NULL) {
        sim_err_set(err, SIM_ENOMEM, "cannot create a %dx%d software surface: %s", o->w, o->h, SDL_GetError());
        soft_free(s);
        return SIM_ENOMEM;
    }
    if (rnd_paint_init(&s->paint, r, s->ren, o)) {
        sim_err_set(err, SIM_ENOMEM, "out of memory");
        soft_free(s);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* SDL_image writes a PNG through an SDL_RWops. Ours appends to a buffer, so
 * that the file itself is written, every write checked, by sim_file_replace:
 * IMG_SavePNG does not check the close of its file, and on a full disk that
 * left a 0-byte PNG behind an exit code of 0. */
static size_t SDLCALL mem_write(SDL_RWops *ctx, const void *p, size_t size, size_t num)
{
    RndBuf *b = ctx->hidden.unknown.data1;
    if (num != 0 && size > SIZE_MAX / num)
        return 0;
    rnd_buf_add(b, p, size * num);
    return b->oom ? 0 : num;
}

static Sint64 SDLCALL mem_seek(SDL_RWops *ctx, Sint64 offset, int whence)
{
    const RndBuf *b = ctx->hidden.unknown.data1;
    return offset == 0 && whence != RW_SEEK_SET ? (Sint64)b->len : -1;   /* tell, nothing more */
}

static Sint64 SDLCALL mem_size(SDL_RWops *ctx)
{
    return (Sint64)((const RndBuf *)ctx->hidden.unknown.data1)->len;
}

static int SDLCALL mem_close(SDL_RWops *ctx)
{
    SDL_FreeRW(ctx);
    return 0;
}

/* The surface as PNG bytes in b. */
static int encode_png(SDL_Surface *sf, RndBuf *b, SimErr *err)
{
    SDL_RWops *rw = SDL_AllocRW();
    if (rw == NULL) {
        sim_err_set(err, SIM_ENOMEM, "out of memory");
        return SIM_ENOMEM;
    }
    rw->type = SDL_RWOPS_UNKNOWN;
    rw->hidden.unknown.data1 = b;
    rw->write = mem_write;
    rw->seek = mem_seek;
    rw->size = mem_size;
    rw->close = mem_close;
    if (IMG_SavePNG_RW(sf, rw, 1) != 0 || b->oom || b->len == 0) {
        return sim_err_set(err, b->oom ? SIM_ENOMEM : SIM_EIO, "cannot encode the PNG: %s",
                           b->oom ? "out of memory" : SDL_GetError());
    }
    return SIM_OK;
}

int rnd_replay_png(RndReplay *r, SimTime t, const RndFrameOpts *o, const char *png_path)
{
    SimErr *err = &r->err;
    Soft s;
    if (soft_init(&s, r, o, err))
        return SIM_ENOMEM;
    rnd_replay_seek(r, t);
    rnd_paint_frame(&s.paint, r, o);
    SDL_RenderPresent(s.ren);
    RndBuf png;
    rnd_buf_init(&png, r->mem);
    int rc = encode_png(s.sf, &png, err);
    if (rc == SIM_OK)
        rc = sim_file_replace(png_path, png.p, png.len, err);
    rnd_buf_free(&png);
    soft_free(&s);
    return rc;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int rnd_replay_frames(RndReplay *r, int nframes, const RndFrameOpts *o, double *fps)
{
    SimErr *err = &r->err;
    Soft s;
    if (nframes < 1 || soft_init(&s, r, o, err))
        return nframes < 1 ? SIM_EINVAL : SIM_ENOMEM;
    double t0 = wall_now();
    for (int i = 0; i < nframes; i++) {
        rnd_replay_seek(r, (SimTime)((double)r->duration * (i + 1) / nframes));
        rnd_paint_frame(&s.paint, r, o);
        SDL_RenderPresent(s.ren);
    }
    double dt = wall_now() - t0;
    *fps = dt > 0 ? nframes / dt : 0;
    soft_free(&s);
    return SIM_OK;
}

/* ---- the window ------------------------------------------------------------ */
typedef struct Player {
    RndReplay *r;
    RndFrameOpts o;
    double sim_t;            /* seconds, as a double so slow speeds advance */
    int quit;
} Player;

static void on_key(Player *pl, SDL_Keycode k)
{
    double d = (double)pl->r->duration / 1e9, step = d / SEEK_FRACTION;
    switch (k) {
    case SDLK_SPACE: pl->o.paused = !pl->o.paused; break;
    case SDLK_LEFT: pl->sim_t -= step; break;
    case SDLK_RIGHT: pl->sim_t += step; break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: pl->o.speed *= 2; break;
    case SDLK_MINUS: case SDLK_KP_MINUS: pl->o.speed /= 2; break;
    case SDLK_HOME: pl->sim_t = 0; break;
    case SDLK_END: pl->sim_t = d; break;
    case SDLK_q: case SDLK_ESCAPE: pl->quit = 1; break;
    default: break;
    }
    pl->sim_t = pl->sim_t < 0 ? 0 : pl->sim_t > d ? d : pl->sim_t;
}

static void events(Player *pl, const RndPaint *p)
{
    SDL_Event ev;
    SimTime t;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_QUIT)
            pl->quit = 1;
        else if (ev.type == SDL_KEYDOWN)
            on_key(pl, ev.key.keysym.sym);
        else if (ev.type == SDL_MOUSEBUTTONDOWN && rnd_paint_time_at(p, pl->r, ev.button.x, ev.button.y, &t))
            pl->sim_t = (double)t / 1e9;
    }
}

static void play(Player *pl, SDL_Renderer *ren, RndPaint *p)
{
    double last = wall_now();
    while (!pl->quit) {
        events(pl, p);
        double now = wall_now();
        if (!pl->o.paused)
            pl->sim_t += (now - last) * pl->o.speed;
        last = now;
        rnd_replay_seek(pl->r, (SimTime)(pl->sim_t * 1e9));
        rnd_paint_frame(p, pl->r, &pl->o);
        SDL_RenderPresent(ren);
    }
}

const char *rnd_replay_errmsg(const RndReplay *r) { return sim_err_msg(&r->err); }

int rnd_replay_window(RndReplay *r, const RndFrameOpts *o)
{
    SimErr *err = &r->err;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        sim_err_set(err, SIM_EIO, "cannot open a window (no display?): %s; --png renders without one",
                    SDL_GetError());
        return SIM_EIO;
    }
    /* With no display SDL falls back to a driver that shows nothing and
     * delivers no key or quit event: the window would run until killed. */
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (strcmp(drv, "dummy") == 0 || strcmp(drv, "offscreen") == 0)) {
        sim_err_set(err, SIM_EIO, "no display (SDL's video driver is '%s'): --png FILE --at TIME renders a frame, "
                    "--frames N plays headless", drv);
        SDL_Quit();
        return SIM_EIO;
    }
    int ttf = o->font && TTF_Init() == 0;
    SDL_Window *win = SDL_CreateWindow("kubesim replay", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o->w,
                                       o->h, 0);
    SDL_Renderer *ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_PRESENTVSYNC) : NULL;
    if (ren == NULL && win)
        ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    Player pl = {.r = r, .o = *o};
    RndPaint p;
    int rc = ren && rnd_paint_init(&p, r, ren, o) == SIM_OK ? SIM_OK : SIM_EIO;
    if (rc == SIM_OK) {
        play(&pl, ren, &p);
        rnd_paint_free(&p);
    } else {
        sim_err_set(err, SIM_EIO, "cannot open a window: %s", SDL_GetError());
    }
    if (ren)
        SDL_DestroyRenderer(ren);
    if (win)
        SDL_DestroyWindow(win);
    if (ttf)
        TTF_Quit();
    SDL_Quit();
    return rc;
}
