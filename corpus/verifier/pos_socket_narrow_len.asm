# narrow read of skb->len
# type: socket_filter
# expect: accept
# kernel: accept
ldxb %r0, [%r1+0]
exit
