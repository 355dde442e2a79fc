"""Network: warehouse-network design, where to open overseas warehouses and whom each serves
(a MILP solved by HiGHS), with the OR-Library benchmark reader."""
