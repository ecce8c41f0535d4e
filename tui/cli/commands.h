/*
 * commands.h: the table of commands, one line each, in the order
 * `auditscope --help` lists them. X(name) stands for the entry
 * `const struct cli_cmd cli_cmd_name` that cmd_name.c defines. Adding a
 * command is that file and one line here.
 */
#ifndef AUDITSCOPE_COMMANDS_H
#define AUDITSCOPE_COMMANDS_H

#define CLI_COMMANDS(X) \
	X(load)         \
	X(info)         \
	X(sources)      \
	X(query)        \
	X(stack)        \
	X(messages)     \
	X(session)      \
	X(coverage)     \
	X(histogram)    \
	X(hunt)         \
	X(sigma)        \
	X(apps)         \
	X(mark)         \
	X(export)       \
	X(notes)        \
	X(fields)

#endif
