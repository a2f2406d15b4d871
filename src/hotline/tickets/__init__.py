"""Work orders (工单): the complaint and fault closed loop with back-office departments."""
