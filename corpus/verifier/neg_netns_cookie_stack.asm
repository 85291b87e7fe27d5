# get_netns_cookie with a stack pointer: only the context or NULL
# type: sched_cls
# expect: R1 type=fp expected=ctx
# kernel: reject
mov %r1, %r10
add %r1, -8
call 122
mov %r0, 0
exit
