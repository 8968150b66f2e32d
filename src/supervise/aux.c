/* Children of corral that are not services: probe attempts and the
 * commands of `corralctl exec`.  They are reaped by the supervisor's one
 * reaper, found through the pid registry (values with AUX_PID_TAG), and
 * their end goes to whoever started them. */
#include <signal.h>

#include "sup.h"

int aux_add(struct sup *s, pid_t pid, aux_exit_cb cb, void *ud, int conn_fd) {
        for (size_t i = 0; i < AUX_MAX; i++) {
                if (s->aux[i].pid)
                        continue;
                int r = registry_put(&s->pids, pid, AUX_PID_TAG | (uint32_t)i);
                if (r < 0)
                        return r;
                s->aux[i] = (struct aux_child){ .pid = pid, .cb = cb, .ud = ud, .conn_fd = conn_fd };
                return (int)i;
        }
        return -EAGAIN;
}

void aux_forget(struct sup *s, const void *ud) {
        for (size_t i = 0; i < AUX_MAX; i++)
                if (s->aux[i].pid && s->aux[i].ud == ud)
                        s->aux[i].cb = NULL;
}

void aux_on_child(struct sup *s, pid_t pid, uint32_t tag, int status) {
        uint32_t slot = tag & ~AUX_PID_TAG;
        if (slot >= AUX_MAX || s->aux[slot].pid != pid)
                return;
        struct aux_child a = s->aux[slot];
        s->aux[slot] = (struct aux_child){ .conn_fd = -1 };
        if (a.cb)
                a.cb(s, &a, status);
        else if (a.conn_fd >= 0)
                safe_close(a.conn_fd);
}

void aux_done(struct sup *s) {
        for (size_t i = 0; i < AUX_MAX; i++) {
                if (!s->aux[i].pid)
                        continue;
                /* corral is going away: its children with it (unreaped, the
                 * pid is still theirs). */
                kill(s->aux[i].pid, SIGKILL);
                if (s->aux[i].conn_fd >= 0)
                        safe_close(s->aux[i].conn_fd);
                s->aux[i] = (struct aux_child){ .conn_fd = -1 };
        }
}
