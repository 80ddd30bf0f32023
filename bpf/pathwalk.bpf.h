/* path walk: being written */
