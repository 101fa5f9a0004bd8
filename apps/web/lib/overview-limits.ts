/** How many of the latest events the overview lists (its server render asks for the same). */
export const OVERVIEW_EVENTS = 10;
