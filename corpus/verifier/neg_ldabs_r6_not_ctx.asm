# LD_ABS needs the skb in r6
# type: socket_filter
# expect: at the time of BPF_LD_ABS|IND R6 != pointer to skb
# kernel: reject
mov %r6, 0
ldabsb 0
exit
