build-nowrap/obj/firewall/nl.o: firewall/nl.c firewall/nl.h
firewall/nl.h:
