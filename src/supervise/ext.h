/* What the supervisor adds around each service's state machine: the
 * control socket (control.c), readiness and liveness (ready.c: notify,
 * probes, watchdog, health), reload (reconfig.c), and the glue between
 * them and the supervisor (ext.c).  Everything here runs on the one event
 * loop; children (probe attempts, `corralctl exec`) are reaped by the
 * supervisor's single reaper and routed here through the pid registry. */
#pragma once

#include "control.h"
#include "notify.h"
#include "probe.h"
#include "reload.h"
#include "sup.h"

/* Registry values with this bit are aux children, not service processes:
 * the rest is the index of their slot in sup_ext.aux. */
#define EXT_PID_TAG 0x80000000u
#define EXT_MAX_AUX 256

/* Per service; allocated one by one so that the pointer held by timers and
 * aux children stays valid when a reload moves the service to a new index. */
struct svc_ext {
        struct sup *s;
        size_t idx;
        struct loop_timer *probe;    /* next attempt, or the running attempt's deadline */
        struct loop_timer *deadline; /* ready timeout_ms */
        struct loop_timer *watchdog; /* watchdog_ms since the last WATCHDOG=1 */
        int probe_slot;              /* aux slot of the running attempt, -1 */
        bool probing_health;         /* the probe timer serves health, not ready */
        uint32_t health_fails;
        char status[256];            /* last STATUS= */
        bool manual_stop;            /* stopped by `corralctl stop`: stays down */
        bool restart_pending;        /* `corralctl restart`: start once down */
        bool reload_stop;            /* reload stops it (changed or removed) */
};

enum aux_kind { AUX_FREE, AUX_PROBE, AUX_EXEC };

struct aux_child {
        enum aux_kind kind;
        pid_t pid;
        struct svc_ext *owner; /* probe: its service (NULL once it left) */
        int conn_fd;           /* exec: the connection waiting for the status */
};

struct sup_ext {
        struct svc_ext **svcs; /* s->n entries */
        struct ctl_server *ctl;
        struct loop_io *ctl_io;
        struct notify_server *notify;
        struct loop_io *notify_io;
        struct aux_child aux[EXT_MAX_AUX];
        bool sent_ready;          /* READY=1 went to corral's own manager */
        bool any_restart_pending; /* some svc_ext.restart_pending may be set */
        char *control_path;

        /* A reload waiting for its changed and removed services to stop. */
        struct model *pending;    /* the new model */
        struct reload_diff *diff;
        struct model *owned;      /* the current model when a reload made it */
};

/* ---- supervisor.c calls these ----------------------------------------- */

/* Open the run dir, the control and notify sockets.  Failures are logged:
 * corral still supervises without them.  -ENOMEM only. */
int ext_start(struct sup *s);
void ext_done(struct sup *s);
/* After each state-machine step of service idx. */
void ext_on_effects(struct sup *s, size_t idx, const struct svc_effects *eff);
/* At the start of every settle: pending restarts, reload, upward READY. */
void ext_settle(struct sup *s);
/* Every service is down but corral keeps running (machine init, services
 * stopped by the operator). */
bool ext_stays_up(const struct sup *s);
/* An aux child was reaped (tag: its registry value). */
void ext_on_child(struct sup *s, pid_t pid, uint32_t tag, int status);
/* Signals with a meaning here (SIGHUP: reload; a machine's power
 * signals).  true when handled. */
bool ext_on_signal(struct sup *s, int sig);
/* NOTIFY_SOCKET for service idx, NULL unless it is of type notify. */
const char *ext_notify_socket(const struct sup *s, size_t idx);
/* Add WATCHDOG_USEC (sd_watchdog_enabled(3)) for a service with
 * watchdog_ms.  0 or -ENOMEM. */
int ext_spawn_env(const struct sup *s, size_t idx, struct spawn_plan *p);

/* ---- shared between the ext files ------------------------------------- */

struct svc_ext *ext_svc_new(struct sup *s, size_t idx);
void ext_svc_free(struct sup *s, struct svc_ext *e);
/* A free aux slot registered for pid, or -errno. */
int ext_aux_add(struct sup *s, enum aux_kind kind, pid_t pid, struct svc_ext *owner, int conn_fd);
/* Where probe attempts and exec enter the service (cgroup_fd borrowed). */
void ext_enter_target(struct sup *s, size_t idx, struct enter_target *ret);

/* ready.c */
void ready_on_effects(struct sup *s, struct svc_ext *e, const struct svc_effects *eff);
void ready_on_probe_exit(struct sup *s, struct svc_ext *e, int status);
void ready_on_notify(void *ud);
void ready_stop_all(struct sup *s, struct svc_ext *e);
void ready_settle(struct sup *s);

/* control.c */
void control_handle(void *ud, struct ctl_request *req, struct ctl_reply *reply, int conn_fd);
void control_on_exec_exit(struct aux_child *a, int status);

/* reconfig.c: reload with the config request corral started with.  0 when
 * the new config was accepted (and is being applied), else -errno with the
 * reasons written to why (may be NULL). */
int reconfig_begin(struct sup *s, struct ctl_reply *why);
void reconfig_settle(struct sup *s);
void reconfig_abort(struct sup *s);
