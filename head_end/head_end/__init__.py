"""meter-head-end: reads prepaid remote meters through concentrators (Q/GDW 1376.1) and
transparent gateways (DL/T 645-2007 over TCP) and executes the relay commands of a backend."""
