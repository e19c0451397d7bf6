# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # How modules that act on something of one existing mailbox name it.
    DOCUMENTATION = r'''
options:
  mailbox:
    description:
      - The name of an existing mailbox (the part of its primary address before the C(@)).
      - A mailbox that does not exist is an error; in check mode it is assumed to be created by an
        earlier task of the same run, with a warning.
    type: str
    required: true
  domain:
    description:
      - The domain of the mailbox.
    type: str
    required: true
'''
