"""Pure order logic of the gateway: sizing an order to its market, and projecting its lifecycle."""
