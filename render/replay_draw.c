/*
 * replay_draw.c: one frame of `kubesim replay`: a status line, one panel per
 * region (node groups as rows, a cell per live node coloured by how much of
 * it the bound pods request), charts of pending pods, nodes, p95 latency and
 * backtest backlog over the whole run with a cursor, and the time line.
 * Invariant: a frame is a pure function of the shown state, the time and the
 * options, so the same frame renders to the same pixels.
 */
#include "render/rnd.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <string.h>

#include "render/rnd_int.h"

#define STATUS_H 24
#define TIMELINE_H 26
#define CHARTS_H 140
#define HEAD_H 32
#define ROW_H 15
#define PAD 6

enum { COL_PROV = 11, COL_NOTREADY = 12, COL_CORDON = 13 };

static const SDL_Color ramp[11] = {   /* empty to full: slate, green, yellow, red */
    {46, 58, 74, 255},   {40, 96, 88, 255},   {44, 128, 86, 255},  {70, 156, 80, 255},
    {120, 176, 70, 255}, {176, 190, 64, 255}, {222, 196, 60, 255}, {236, 160, 56, 255},
    {232, 118, 52, 255}, {222, 76, 48, 255},  {200, 40, 44, 255}};
static const SDL_Color region_col[6] = {{90, 170, 255, 255}, {255, 170, 60, 255}, {120, 220, 120, 255},
                                        {230, 100, 220, 255}, {240, 230, 90, 255}, {120, 230, 230, 255}};
static const SDL_Color fg = {225, 230, 236, 255}, dim = {140, 150, 162, 255};

int rnd_paint_init(RndPaint *p, RndReplay *r, SDL_Renderer *ren, const RndFrameOpts *o)
{
    memset(p, 0, sizeof *p);
    p->mem = r->mem;
    p->ren = ren;
    p->w = o->w;
    p->h = o->h;
    p->cap = r->nnodes + 1;
    for (int i = 0; i < RND_CELL_COLOURS; i++)
        if ((p->cells[i] = sim_mem_alloc(p->mem, p->cap * sizeof(SDL_Rect))) == NULL) {
            rnd_paint_free(p);
            return SIM_ENOMEM;
        }
    if (o->font && TTF_WasInit())
        p->font = TTF_OpenFont(o->font, 11);   /* NULL when missing: no text */
    return SIM_OK;
}

void rnd_paint_free(RndPaint *p)
{
    for (int i = 0; i < RND_CELL_COLOURS; i++)
        sim_mem_free(p->mem, p->cells[i], p->cap * sizeof(SDL_Rect));
    if (p->font)
        TTF_CloseFont(p->font);
    memset(p, 0, sizeof *p);
}

static void colour(RndPaint *p, SDL_Color c)
{
    SDL_SetRenderDrawColor(p->ren, c.r, c.g, c.b, c.a);
}

static void fill(RndPaint *p, int x, int y, int w, int h, SDL_Color c)
{
    colour(p, c);
    SDL_RenderFillRect(p->ren, &(SDL_Rect){x, y, w, h});
}

/* Text at (x, y); nothing without a font. Returns the width drawn. */
static int text(RndPaint *p, int x, int y, SDL_Color c, const char *s)
{
    if (p->font == NULL || *s == '\0')
        return 0;
    SDL_Surface *sf = TTF_RenderUTF8_Blended(p->font, s, c);
    if (sf == NULL)
        return 0;
    SDL_Texture *tx = SDL_CreateTextureFromSurface(p->ren, sf);
    int w = sf->w;
    if (tx) {
        SDL_RenderCopy(p->ren, tx, NULL, &(SDL_Rect){x, y, sf->w, sf->h});
        SDL_DestroyTexture(tx);
    }
    SDL_FreeSurface(sf);
    return w;
}

static void clock_str(char *b, size_t n, SimTime t)
{
    int64_t s = t / SIM_NS_PER_S;
    snprintf(b, n, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

/* The wall time on the scenario's clock: "2026-03-18 14:05:00 EDT (America/New_York)". */
static void wall_str(char *b, size_t n, const RndReplay *r)
{
    char date[16], hms[16];
    double t = (double)(r->now < 0 ? 0 : r->now) / 1e9;
    rnd_clock_date(&r->clock, t, date, sizeof date);
    rnd_clock_fmt(&r->clock, t, 1, hms, sizeof hms);
    snprintf(b, n, "%s %s %s (%s)", date, hms, rnd_clock_abbrev(&r->clock, t), r->clock.tz);
}

static void status_line(RndPaint *p, RndReplay *r, const RndFrameOpts *o)
{
    char now[32], end[32], wall[160] = "", line[512];
    clock_str(now, sizeof now, r->now);
    clock_str(end, sizeof end, r->duration);
    if (r->clock.set)
        wall_str(wall, sizeof wall, r);
    snprintf(line, sizeof line, "%s   %s%st = +%s / %s   speed %gx%s   space pause  <- -> seek  +/- speed  q quit",
             r->scenario, wall, wall[0] ? "   " : "", now, end, o->speed, o->paused ? "   PAUSED" : "");
    fill(p, 0, 0, p->w, STATUS_H, (SDL_Color){24, 28, 34, 255});
    text(p, PAD, 5, fg, line);
}

/* Colour index of a node: utilisation bucket, or its state's colour. */
static int cell_colour(const RndRGroup *g, const RndRNode *n)
{
    if (n->state == RND_NODE_PROV)
        return COL_PROV;
    if (n->state == RND_NODE_NOTREADY)
        return COL_NOTREADY;
    double u = g->cpu_m > 0 ? (double)n->cpu_m / (double)g->cpu_m : 0;
    double um = g->mem > 0 ? (double)n->mem / (double)g->mem : 0;
    double ug = g->gpu > 0 ? (double)n->gpu / (double)g->gpu : 0;
    u = um > u ? um : u;
    u = ug > u ? ug : u;
    int k = (int)(u * 10.0 + 0.5);
    return k < 0 ? 0 : k > 10 ? 10 : k;
}

static size_t live_in(const RndReplay *r, const RndRGroup *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nnodes; i++) {
        uint8_t st = r->cur.nodes[g->nodes[i]].state;
        n += st != RND_NODE_ABSENT && st != RND_NODE_GONE;
    }
    return n;
}

/* Height the region's group rows take with cells of s px in a panel pw wide. */
static int rows_height(const RndReplay *r, uint32_t region, int pw, int s)
{
    int cols = (pw - 2 * PAD) / s > 0 ? (pw - 2 * PAD) / s : 1, hsum = HEAD_H;
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].name && r->groups[g].region == region)
            hsum += ROW_H + (int)((live_in(r, &r->groups[g]) + (size_t)cols - 1) / (size_t)cols) * s + 2;
    return hsum;
}

/* The largest cell (2 px up to the panel's size) with which every group's
 * rows fit the panel, so a few nodes fill their panel as many do. The height
 * grows with s (fewer columns, taller rows), so a binary search finds it. */
int rnd_paint_cell_size(const RndReplay *r, uint32_t region, int pw, int ph)
{
    int lo = 2, hi = (pw < ph ? pw : ph) - HEAD_H - ROW_H;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (rows_height(r, region, pw, mid) <= ph)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void queue_cell(RndPaint *p, int k, int x, int y, int s)
{
    int gap = s >= 5 ? 1 + s / 24 : 0;
    p->cells[k][p->ncells[k]++] = (SDL_Rect){x, y, s - gap, s - gap};
    if (k == COL_CORDON && s >= 5)
        p->cells[k][p->ncells[k] - 1] = (SDL_Rect){x + s / 2 - 1, y + s / 2 - 1, 2, 2};
}

/* One group: its label and its cells, queued by colour. Returns its height. */
static int group_rows(RndPaint *p, RndReplay *r, const RndRGroup *g, int x, int y, int pw, int s)
{
    int cols = (pw - 2 * PAD) / s > 0 ? (pw - 2 * PAD) / s : 1, i = 0;
    int64_t req = 0, alloc = 0;
    for (size_t k = 0; k < g->nnodes; k++) {
        const RndRNode *n = &r->cur.nodes[g->nodes[k]];
        if (n->state == RND_NODE_ABSENT || n->state == RND_NODE_GONE)
            continue;
        int cx = x + PAD + (i % cols) * s, cy = y + ROW_H + (i / cols) * s;
        queue_cell(p, cell_colour(g, n), cx, cy, s);
        if (n->cordon)
            queue_cell(p, COL_CORDON, cx, cy, s);
        req += n->cpu_m;
        alloc += g->cpu_m;
        i++;
    }
    char line[160];
    snprintf(line, sizeof line, "%s  %d nodes  cpu %d%%", g->name, i,
             alloc ? (int)(100 * req / alloc) : 0);
    text(p, x + PAD, y + 1, dim, line);
    return ROW_H + (i + cols - 1) / cols * s + 2;
}

static int64_t region_hpa(const RndReplay *r, uint32_t region)
{
    int64_t n = 0;
    for (size_t i = 0; i < r->nhpas; i++)
        if (r->hpas[i].region == region)
            n += r->cur.hpa[i];
    return n;
}

static void region_head(RndPaint *p, RndReplay *r, uint32_t g, int x, int y)
{
    char line[256];
    snprintf(line, sizeof line, "%s   %.0f nodes   %.0f pending   $%.2f",
             r->regions[g] ? r->regions[g] : "?", rnd_state_region(r, &r->cur, g, RND_SER_NODES, r->now),
             rnd_state_region(r, &r->cur, g, RND_SER_PENDING, r->now),
             rnd_state_region(r, &r->cur, g, RND_SER_COUNT, r->now));
    text(p, x + PAD, y + 2, region_col[g % 6], line);
    /* p95 per service (the first three of the region), else the region's worst */
    char svcs[160] = "";
    int shown = 0;
    size_t used = 0;
    for (size_t i = 0; i < r->nsvcs && used < sizeof svcs; i++)
        if (r->svcs[i].region == g && shown++ < 3)
            used += (size_t)snprintf(svcs + used, sizeof svcs - used, "%s%s %.0f", shown > 1 ? ", " : "",
                                     r->svcs[i].name, (double)r->cur.p95[i] / 1000.0);
    if (shown > 3 && used < sizeof svcs)
        snprintf(svcs + used, sizeof svcs - used, ", ...");
    if (shown == 0)
        snprintf(svcs, sizeof svcs, "%.0f", rnd_state_region(r, &r->cur, g, RND_SER_P95, r->now));
    snprintf(line, sizeof line, "HPA replicas %lld   p95 ms %s   backlog %lld", (long long)region_hpa(r, g), svcs,
             (long long)r->cur.regions[g].backlog);
    text(p, x + PAD, y + 16, dim, line);
}

static void region_panel(RndPaint *p, RndReplay *r, uint32_t region, SDL_Rect box)
{
    fill(p, box.x + 2, box.y + 2, box.w - 4, box.h - 4, (SDL_Color){30, 35, 42, 255});
    region_head(p, r, region, box.x, box.y);
    int s = rnd_paint_cell_size(r, region, box.w, box.h), y = box.y + HEAD_H;
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].name && r->groups[g].region == region)
            y += group_rows(p, r, &r->groups[g], box.x, y, box.w, s);
}

static void flush_cells(RndPaint *p)
{
    for (int k = 0; k < RND_CELL_COLOURS; k++) {
        if (p->ncells[k] == 0)
            continue;
        SDL_Color c = k <= 10 ? ramp[k] : k == COL_PROV ? (SDL_Color){150, 150, 160, 255}
                                 : k == COL_NOTREADY ? (SDL_Color){210, 50, 220, 255}
                                                     : (SDL_Color){10, 10, 12, 255};
        colour(p, c);
        if (k == COL_PROV)
            SDL_RenderDrawRects(p->ren, p->cells[k], (int)p->ncells[k]);
        else
            SDL_RenderFillRects(p->ren, p->cells[k], (int)p->ncells[k]);
        p->ncells[k] = 0;
    }
}

static void panels(RndPaint *p, RndReplay *r)
{
    int n = r->nregions ? (int)r->nregions : 1;
    int top = STATUS_H, bottom = p->h - CHARTS_H - RND_LEGEND_H - TIMELINE_H, pw = p->w / n;
    for (uint32_t g = 0; g < r->nregions; g++)
        region_panel(p, r, g, (SDL_Rect){(int)g * pw, top, pw, bottom - top});
    flush_cells(p);
}

static const char *const chart_title[RND_SER_COUNT] = {"pending pods", "nodes", "p95 latency ms",
                                                       "backtest backlog"};

/* A service's line colour: its region's, lighter or darker for each further
 * service of the region, so services stay told apart within a region. */
static SDL_Color svc_colour(const RndReplay *r, size_t svc)
{
    int k = 0;
    for (size_t i = 0; i < svc; i++)
        k += r->svcs[i].region == r->svcs[svc].region;
    SDL_Color c = region_col[r->svcs[svc].region % 6];
    double f = k % 2 ? 1.0 - 0.25 * (double)((k + 1) / 2) : 1.0;
    f = f < 0.3 ? 0.3 : f;
    return (SDL_Color){(Uint8)(c.r * f), (Uint8)(c.g * f), (Uint8)(c.b * f), 255};
}

static void series_line(RndPaint *p, const double *v, double top, SDL_Rect plot, SDL_Color c)
{
    SDL_Point pts[RND_SERIES_N];
    for (int i = 0; i < RND_SERIES_N; i++)
        pts[i] = (SDL_Point){plot.x + i * plot.w / (RND_SERIES_N - 1), plot.y + plot.h - (int)(v[i] / top * plot.h)};
    colour(p, c);
    SDL_RenderDrawLines(p->ren, pts, RND_SERIES_N);
}

/* Time labels under the plot at the start, the middle and the end: the
 * scenario's clock when the trace has one, else offsets since the start. */
static void time_axis(RndPaint *p, RndReplay *r, SDL_Rect plot)
{
    for (int i = 0; i <= 2; i++) {
        char lb[32];
        rnd_replay_time_label(r, r->duration / 2 * i, lb, sizeof lb);
        int tw = 0, th = 0;
        if (p->font)
            TTF_SizeUTF8(p->font, lb, &tw, &th);
        int x = plot.x + plot.w * i / 2 - tw * i / 2;   /* left, centred, right-aligned */
        fill(p, plot.x + plot.w * i / 2 - (i == 2), plot.y + plot.h, 1, 3, dim);
        text(p, x, plot.y + plot.h + 2, dim, lb);
    }
}

static void chart(RndPaint *p, RndReplay *r, int k, SDL_Rect box)
{
    fill(p, box.x + 2, box.y + 2, box.w - 4, box.h - 4, (SDL_Color){30, 35, 42, 255});
    char t[96];
    double max = k == RND_SER_P95 ? r->svc_max : r->ser_max[k];
    snprintf(t, sizeof t, "%s (max %.0f)", k == RND_SER_P95 ? "p95 latency ms per service" : chart_title[k], max);
    text(p, box.x + PAD, box.y + 3, dim, t);
    double top = max > 0 ? max : 1;
    SDL_Rect plot = {box.x + PAD, box.y + 18, box.w - 2 * PAD, box.h - 38};
    if (k == RND_SER_P95)
        for (size_t i = 0; i < r->nsvcs; i++)
            series_line(p, r->svc_series + i * RND_SERIES_N, top, plot, svc_colour(r, i));
    else
        for (size_t g = 0; g < r->nregions; g++)
            series_line(p, r->series + ((size_t)k * r->nregions + g) * RND_SERIES_N, top, plot, region_col[g % 6]);
    time_axis(p, r, plot);
    int cx = plot.x + (int)((double)plot.w * (double)r->now / (double)(r->duration > 0 ? r->duration : 1));
    fill(p, cx, plot.y, 1, plot.h, fg);
}

/* One legend entry: a swatch and its name; returns the x after it. */
static int legend_item(RndPaint *p, int x, int y, SDL_Color c, const char *name)
{
    fill(p, x, y + 3, RND_LEGEND_SWATCH, RND_LEGEND_SWATCH, c);
    int w = text(p, x + RND_LEGEND_SWATCH + 3, y, fg, name);
    return x + RND_LEGEND_SWATCH + 3 + (w ? w : 6 * (int)strlen(name)) + 12;
}

/* The charts' legend, a strip above them: each region's colour (the pending,
 * nodes and backlog lines), then each service's (the latency lines). */
static void legend(RndPaint *p, RndReplay *r, int y)
{
    fill(p, 0, y, p->w, RND_LEGEND_H, (SDL_Color){24, 28, 34, 255});
    int x = PAD;
    for (uint32_t g = 0; g < r->nregions && x < p->w; g++)
        x = legend_item(p, x, y, region_col[g % 6], r->regions[g] ? r->regions[g] : "?");
    x += 12;
    for (size_t i = 0; i < r->nsvcs && x < p->w; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s (%s)", r->svcs[i].name,
                 r->regions[r->svcs[i].region] ? r->regions[r->svcs[i].region] : "?");
        x = legend_item(p, x, y, svc_colour(r, i), name);
    }
}

static SDL_Rect timeline_box(const RndPaint *p)
{
    return (SDL_Rect){PAD, p->h - TIMELINE_H + 6, p->w - 2 * PAD, TIMELINE_H - 12};
}

static void timeline(RndPaint *p, RndReplay *r)
{
    SDL_Rect b = timeline_box(p);
    fill(p, 0, p->h - TIMELINE_H, p->w, TIMELINE_H, (SDL_Color){24, 28, 34, 255});
    fill(p, b.x, b.y, b.w, b.h, (SDL_Color){52, 60, 72, 255});
    double f = r->duration > 0 ? (double)r->now / (double)r->duration : 0;
    fill(p, b.x, b.y, (int)(f * b.w), b.h, (SDL_Color){70, 120, 190, 255});
    char now[160];
    if (r->clock.set)
        wall_str(now, sizeof now, r);
    else
        clock_str(now, sizeof now, r->now);
    text(p, b.x + 4, b.y - 1, fg, now);
}

void rnd_paint_frame(RndPaint *p, RndReplay *r, const RndFrameOpts *o)
{
    colour(p, (SDL_Color){18, 20, 24, 255});
    SDL_RenderClear(p->ren);
    status_line(p, r, o);
    panels(p, r);
    int cw = p->w / RND_SER_COUNT, y = p->h - CHARTS_H - TIMELINE_H;
    legend(p, r, y - RND_LEGEND_H);
    for (int k = 0; k < RND_SER_COUNT; k++)
        chart(p, r, k, (SDL_Rect){k * cw, y, cw, CHARTS_H});
    timeline(p, r);
}

int rnd_paint_time_at(const RndPaint *p, const RndReplay *r, int x, int y, SimTime *t)
{
    SDL_Rect b = timeline_box(p);
    if (y < b.y - 6 || y > b.y + b.h + 6 || x < b.x || x > b.x + b.w || b.w <= 0)
        return 0;
    *t = (SimTime)((double)r->duration * (double)(x - b.x) / (double)b.w);
    return 1;
}
