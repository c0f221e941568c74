/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>

/*
 * One logger for both binaries: stderr by default, /dev/kmsg in early boot so that messages
 * land in dmesg and the journal. Every line is prefixed "nestvirt: ".
 */

/* Send messages to the kernel log at @kmsg_path; falls back to stderr if it cannot be opened. */
void log_to_kmsg(const char *kmsg_path);

/* Drop messages less important than @level (LOG_ERR … LOG_DEBUG). */
void log_set_max_level(int level);

/* Log one line at syslog @level; "%m" in @fmt formats @err (positive or negative errno).
 * Returns -abs(@err) so callers can "return log_error_errno(r, \"…: %m\", …)". */
int log_msg_errno(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_error(...)		    log_msg_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...)	    log_msg_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...)		    log_msg_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...)		    log_msg_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)		    log_msg_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(err, ...)   log_msg_errno(LOG_ERR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_msg_errno(LOG_WARNING, (err), __VA_ARGS__)
