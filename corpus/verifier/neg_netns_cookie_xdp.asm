# get_netns_cookie is for skb programs (tc, socket filters, cgroup_skb): not XDP
# type: xdp
# expect: cannot use helper bpf_get_netns_cookie#122
# kernel: reject
mov %r1, 0
call 122
mov %r0, 2
exit
