# nestvirt status, per guest (issue 7): the stored domains' prediction (guests*.c, read with
# the edit's reader through domxml-facts.c) and the management layers that own domains.
CLI_SRCS += src/guests-predict.c src/guests-write.c src/domxml-facts.c src/managed.c
