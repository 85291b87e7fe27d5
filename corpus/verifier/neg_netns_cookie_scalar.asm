# get_netns_cookie with a scalar that is not a known NULL
# type: cgroup_skb
# expect: R1 type=scalar expected=ctx
# kernel: reject
ldxw %r1, [%r1+0]
call 122
mov %r0, 1
exit
